using System.Security.Claims;
using System.Text.Json;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.RecipientLists;
using Dapper;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Rebuttals;

public sealed record RebuttalRecord(int Id, int IncidentId, int? RumourId, string Title, string State, int Version, string Author, string EditorsJson,
    string? Approver, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt, DateTime? PublishedAt)
{
    /// <summary>Everyone who wrote any part of it.</summary>
    public IReadOnlyList<string> Editors => System.Text.Json.JsonSerializer.Deserialize<string[]>(EditorsJson) ?? [];

    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Published = "published";
}

public sealed record RebuttalVersion(int Version, IReadOnlyDictionary<TextChannel, string> Variants, string EditedBy, DateTime EditedAt, string? Note);

public sealed record RebuttalTemplate(int Id, string Name, IReadOnlyDictionary<TextChannel, string> Variants);

public sealed class RebuttalInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// Rebuttals: per-channel texts drafted from a rumour (or for the incident alone), every save a new version, then
/// submitted, approved or rejected by an Approver who wrote none of it, then published through the outbox to the
/// configured social channels. Each change is announced on the activity feed after its commit, so rumour boards and
/// approvers' inboxes follow it live.
/// </summary>
public sealed class RebuttalCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, ConfiguredChannels channels, DeliverySignal signal,
    IncidentActivityFeed activity, TimeProvider time)
{
    private const string Columns = """
        id, incident_id AS IncidentId, rumour_id AS RumourId, title, state, version, author, array_to_json(editors)::text AS EditorsJson, approver,
        decision_comment AS DecisionComment, created_at AS CreatedAt, updated_at AS UpdatedAt, published_at AS PublishedAt
        """;

    public async Task<IReadOnlyList<RebuttalRecord>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RebuttalRecord>($"SELECT {Columns} FROM rebuttals WHERE incident_id = @incidentId ORDER BY id DESC", new { incidentId })).ToList();
    }

    public async Task<RebuttalRecord?> GetAsync(int rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RebuttalRecord>($"SELECT {Columns} FROM rebuttals WHERE id = @rebuttalId", new { rebuttalId });
    }

    /// <summary>Every saved version, newest first.</summary>
    public async Task<IReadOnlyList<RebuttalVersion>> VersionsAsync(int rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int Version, string Variants, string EditedBy, DateTime EditedAt, string? Note)>(
            "SELECT version, variants::text, edited_by, edited_at, note FROM rebuttal_versions WHERE rebuttal_id = @rebuttalId ORDER BY version DESC", new { rebuttalId });
        return rows.Select(r => new RebuttalVersion(r.Version, ReadVariants(r.Variants), r.EditedBy, r.EditedAt, r.Note)).ToList();
    }

    public async Task<IReadOnlyList<RebuttalTemplate>> TemplatesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int Id, string Name, string Variants)>("SELECT id, name, variants::text FROM rebuttal_templates ORDER BY name");
        return rows.Select(r => new RebuttalTemplate(r.Id, r.Name, ReadVariants(r.Variants))).ToList();
    }

    /// <summary>Saves per-channel texts as a reusable template (Operator); a template of the same name is replaced.</summary>
    public async Task<int> SaveTemplateAsync(ClaimsPrincipal user, string name, IReadOnlyDictionary<TextChannel, string> variants, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "save a rebuttal template", cancellationToken: cancellationToken);
        name = (name ?? "").Trim();
        if (name.Length is < 2 or > 100)
            throw new RebuttalInputException("A template needs a name of 2 to 100 characters.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rebuttal_templates (name, variants, created_by) VALUES (@name, @variants::jsonb, @actor)
            ON CONFLICT (lower(name)) DO UPDATE SET variants = excluded.variants, created_by = excluded.created_by, created_at = now()
            RETURNING id
            """, new { name, variants = WriteVariants(variants), actor = user.ActorName() }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RebuttalTemplateSaved(id, name), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>Drafts a rebuttal (Operator), from a rumour when <paramref name="rumourId"/> is given.</summary>
    public async Task<int> DraftAsync(ClaimsPrincipal user, int incidentId, int? rumourId, string title, IReadOnlyDictionary<TextChannel, string> variants, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "draft a rebuttal", incidentId, cancellationToken);
        title = (title ?? "").Trim();
        if (title.Length is < 3 or > 200)
            throw new RebuttalInputException("A rebuttal needs a title of 3 to 200 characters (what claim it answers).");
        var clean = Clean(variants);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<int?>("SELECT id FROM incidents WHERE id = @incidentId", new { incidentId }, transaction) is null)
            throw new RebuttalInputException($"There is no incident {incidentId}.");
        var id = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rebuttals (incident_id, rumour_id, title, state, author, editors) VALUES (@incidentId, @rumourId, @title, 'draft', @actor, ARRAY[@actor]) RETURNING id
            """, new { incidentId, rumourId, title, actor }, transaction);
        await connection.ExecuteAsync("INSERT INTO rebuttal_versions (rebuttal_id, version, variants, edited_by) VALUES (@id, 1, @variants::jsonb, @actor)",
            new { id, variants = WriteVariants(clean), actor }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, incidentId,
            new RebuttalDrafted(id, rumourId, title, 1, ToJsonKeys(clean)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(incidentId, EventActions.RebuttalDrafted, actor, rumourId, $"{actor} drafted rebuttal {id}: {title}");
        return id;
    }

    /// <summary>Saves new texts as the next version (Operator); a rejected rebuttal becomes a draft again.</summary>
    public async Task<int> ReviseAsync(ClaimsPrincipal user, int rebuttalId, IReadOnlyDictionary<TextChannel, string> variants, string? note, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(rebuttalId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "revise a rebuttal", stored?.IncidentId, cancellationToken);
        var clean = Clean(variants);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(connection, transaction, rebuttalId);
        if (current.State is not (RebuttalRecord.Draft or RebuttalRecord.Rejected))
            throw new RebuttalInputException($"This rebuttal is {current.State}: only a draft or a rejected rebuttal can be changed.");
        var version = current.Version + 1;
        await connection.ExecuteAsync("INSERT INTO rebuttal_versions (rebuttal_id, version, variants, edited_by, note) VALUES (@rebuttalId, @version, @variants::jsonb, @actor, @note)",
            new { rebuttalId, version, variants = WriteVariants(clean), actor, note }, transaction);
        await connection.ExecuteAsync("""
            UPDATE rebuttals SET version = @version, state = 'draft', updated_at = now(),
                   editors = CASE WHEN @actor = ANY(editors) THEN editors ELSE editors || @actor END
             WHERE id = @rebuttalId
            """, new { rebuttalId, version, actor }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, current.IncidentId,
            new RebuttalRevised(rebuttalId, version, note, ToJsonKeys(clean)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(current.IncidentId, EventActions.RebuttalRevised, actor, current.RumourId, $"{actor} saved version {version} of rebuttal {rebuttalId}");
        return version;
    }

    /// <summary>Asks for approval (Operator): every text must fit its channel and at least one social text must exist.</summary>
    public async Task SubmitAsync(ClaimsPrincipal user, int rebuttalId, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(rebuttalId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "submit a rebuttal for approval", stored?.IncidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(connection, transaction, rebuttalId);
        if (current.State is not (RebuttalRecord.Draft or RebuttalRecord.Rejected))
            throw new RebuttalInputException($"This rebuttal is {current.State}: only a draft can be submitted.");
        var variants = ReadVariants(await connection.ExecuteScalarAsync<string>(
            "SELECT variants::text FROM rebuttal_versions WHERE rebuttal_id = @rebuttalId AND version = @version", new { rebuttalId, version = current.Version }, transaction) ?? "{}");
        var tooLong = variants.Select(v => ChannelText.Count(v.Key, v.Value)).Where(l => !l.Fits).ToList();
        if (tooLong.Count > 0)
            throw new RebuttalInputException("Too long for its channel: " + string.Join("; ", tooLong.Select(l => $"{l.Channel} {l.Used}/{l.Limit} {l.Unit}" + (l.Segments is { } s ? $" ({s} segments)" : ""))));
        if (!ChannelNames.Social.Any(c => variants.ContainsKey(ChannelNames.TextChannelOf(c)!.Value)))
            throw new RebuttalInputException("Write the text for at least one social channel (X, Mastodon or Bluesky) before submitting.");
        await connection.ExecuteAsync("UPDATE rebuttals SET state = 'submitted', updated_at = now() WHERE id = @rebuttalId", new { rebuttalId }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), current.IncidentId, new RebuttalSubmitted(rebuttalId, current.Version), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(current.IncidentId, EventActions.RebuttalSubmitted, user.ActorName(), current.RumourId, $"{user.ActorName()} submitted rebuttal {rebuttalId} for approval");
    }

    public Task ApproveAsync(ClaimsPrincipal user, int rebuttalId, string? comment, CancellationToken cancellationToken = default) =>
        DecideAsync(user, rebuttalId, approve: true, comment, cancellationToken);

    public Task RejectAsync(ClaimsPrincipal user, int rebuttalId, string comment, CancellationToken cancellationToken = default) =>
        string.IsNullOrWhiteSpace(comment)
            ? throw new RebuttalInputException("Say why the rebuttal is rejected: the comment is what its author will work from.")
            : DecideAsync(user, rebuttalId, approve: false, comment, cancellationToken);

    private async Task DecideAsync(ClaimsPrincipal user, int rebuttalId, bool approve, string? comment, CancellationToken cancellationToken)
    {
        var verb = approve ? "approve" : "reject";
        var stored = await GetAsync(rebuttalId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Approver, $"{verb} a rebuttal", stored?.IncidentId, cancellationToken);
        if (stored is null)
            throw new RebuttalInputException($"There is no rebuttal {rebuttalId}.");
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(connection, transaction, rebuttalId);
        // The two-person rule on the locked row: a writer added after a check outside would approve their own words.
        if (current.Editors.Contains(actor, StringComparer.OrdinalIgnoreCase))
        {
            await transaction.RollbackAsync(cancellationToken);
            await EventLog.AppendAsync(dataSource, actor, current.IncidentId,
                new AuthorizationDenied($"{verb} a rebuttal they wrote", Rule: "two-person", RebuttalId: rebuttalId), cancellationToken);
            throw new Alerts.TwoPersonRuleException($"You wrote this rebuttal, so you cannot {verb} it: another Approver must.");
        }
        if (current.State != RebuttalRecord.Submitted)
            throw new RebuttalInputException($"This rebuttal is {current.State}: only a submitted rebuttal can be {verb}d.");
        await connection.ExecuteAsync("""
            UPDATE rebuttals SET state = @state, approver = @actor, decision_comment = @comment, decided_at = now(), updated_at = now() WHERE id = @rebuttalId
            """, new { rebuttalId, state = approve ? RebuttalRecord.Approved : RebuttalRecord.Rejected, actor, comment = comment?.Trim() }, transaction);
        EventPayload decision = approve
            ? new RebuttalApproved(rebuttalId, current.Version, current.Author, comment?.Trim())
            : new RebuttalRejected(rebuttalId, current.Version, current.Author, comment?.Trim());
        await EventLog.AppendAsync(connection, transaction, actor, current.IncidentId, decision, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(current.IncidentId, EventContract.ActionOf(decision), actor, current.RumourId, $"{actor} {verb}d rebuttal {rebuttalId}");
    }

    /// <summary>
    /// Publishes an approved rebuttal (Operator): one delivery per configured social channel that has a text, in the same
    /// transaction; with <paramref name="only"/>, to those of them the person chose.
    /// </summary>
    /// <remarks>With <paramref name="listIds"/>, also to those email and SMS recipient lists (an SMS list needs the SMS text).</remarks>
    public async Task<IReadOnlyList<string>> PublishAsync(ClaimsPrincipal user, int rebuttalId, IReadOnlyCollection<string>? only = null,
        CancellationToken cancellationToken = default, IReadOnlyCollection<int>? listIds = null)
    {
        var stored = await GetAsync(rebuttalId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "publish a rebuttal", stored?.IncidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(connection, transaction, rebuttalId);
        if (current.State != RebuttalRecord.Approved)
            throw new RebuttalInputException($"This rebuttal is {current.State}: only an approved rebuttal can be published.");
        var variants = ReadVariants(await connection.ExecuteScalarAsync<string>(
            "SELECT variants::text FROM rebuttal_versions WHERE rebuttal_id = @rebuttalId AND version = @version", new { rebuttalId, version = current.Version }, transaction) ?? "{}");
        var lists = listIds ?? [];
        // Choosing only lists is choosing no social channel.
        var chosen = only ?? (lists.Count > 0 ? [] : null);
        var targets = PublishableChannels(variants).Where(c => chosen is null || chosen.Contains(c)).ToList();
        if (chosen is not null && targets.Count == 0 && lists.Count == 0)
            throw new RebuttalInputException("Choose at least one channel that is configured and has a text.");
        if (targets.Count == 0 && lists.Count == 0)
            throw new RebuttalInputException("No configured social channel has a text in this rebuttal: configure a channel (CrisisDesk:Channels) or write its text.");
        var deliveryIds = (await DeliveryStore.EnqueueAsync(connection, transaction, current.IncidentId, null, rebuttalId, targets)).ToList();
        if (lists.Count > 0)
        {
            var kinds = (await connection.QueryAsync<string>("SELECT DISTINCT kind FROM recipient_lists WHERE id = ANY(@ids)", new { ids = lists.ToArray() }, transaction)).ToList();
            if (kinds.Contains(RecipientListKinds.Sms) && !variants.ContainsKey(TextChannel.Sms))
                throw new RebuttalInputException("Write the rebuttal's SMS text before publishing it to an SMS list.");
            deliveryIds.AddRange(await ListDeliveries.EnqueueAsync(connection, transaction, current.IncidentId, null, rebuttalId, lists));
            targets.AddRange(kinds.Select(ListDeliveries.ChannelOf).Distinct());
        }
        await connection.ExecuteAsync("UPDATE rebuttals SET state = 'published', published_at = now(), updated_at = now() WHERE id = @rebuttalId", new { rebuttalId }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), current.IncidentId,
            new RebuttalPublished(rebuttalId, current.Version, current.RumourId, targets, deliveryIds), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        Announce(current.IncidentId, EventActions.RebuttalPublished, user.ActorName(), current.RumourId,
            $"{user.ActorName()} published rebuttal {rebuttalId} to {string.Join(", ", targets.Select(ChannelNames.Label))}");
        return targets;
    }

    /// <summary>The email and SMS recipient lists a rebuttal can also be published to.</summary>
    public Task<IReadOnlyList<ListChoice>> ListChoicesAsync(CancellationToken cancellationToken = default) =>
        ListDeliveries.ChoicesAsync(dataSource, cancellationToken);

    /// <summary>The configured social channels that have a text among <paramref name="variants"/>: where publishing can go.</summary>
    public IReadOnlyList<string> PublishableChannels(IReadOnlyDictionary<TextChannel, string> variants) =>
        [.. channels.Social().Where(c => variants.ContainsKey(ChannelNames.TextChannelOf(c)!.Value))];

    private void Announce(int incidentId, string action, string actor, int? rumourId, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), RumourId: rumourId, Summary: summary));

    private static async Task<RebuttalRecord> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int rebuttalId) =>
        await connection.QuerySingleOrDefaultAsync<RebuttalRecord>($"SELECT {Columns} FROM rebuttals WHERE id = @rebuttalId FOR UPDATE", new { rebuttalId }, transaction)
        ?? throw new RebuttalInputException($"There is no rebuttal {rebuttalId}.");

    /// <summary>Drops empty texts; a rebuttal needs at least one.</summary>
    private static Dictionary<TextChannel, string> Clean(IReadOnlyDictionary<TextChannel, string> variants)
    {
        var clean = variants.Where(v => !string.IsNullOrWhiteSpace(v.Value)).ToDictionary(v => v.Key, v => v.Value.Trim());
        return clean.Count > 0 ? clean : throw new RebuttalInputException("Write the rebuttal's text for at least one channel.");
    }

    private static Dictionary<string, string> ToJsonKeys(IReadOnlyDictionary<TextChannel, string> variants) =>
        variants.ToDictionary(v => v.Key.ToString(), v => v.Value);

    internal static string WriteVariants(IReadOnlyDictionary<TextChannel, string> variants) => JsonSerializer.Serialize(ToJsonKeys(variants));

    internal static Dictionary<TextChannel, string> ReadVariants(string json) =>
        (JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [])
            .Where(v => Enum.TryParse<TextChannel>(v.Key, out _))
            .ToDictionary(v => Enum.Parse<TextChannel>(v.Key), v => v.Value);
}
