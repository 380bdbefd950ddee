using System.Security.Claims;
using System.Text.Json;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.RecipientLists;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Rebuttals;

public sealed record RebuttalRecord(int Id, int IncidentId, int? RumourId, string Title, string State, int Version, string Author,
    IReadOnlyList<string> Editors, string? Approver, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt, DateTime? PublishedAt)
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Published = "published";

    internal static RebuttalRecord Of(RebuttalRow r) =>
        new(r.Id, r.IncidentId, r.RumourId, r.Title, r.State, r.Version, r.Author, r.Editors, r.Approver, r.DecisionComment, r.CreatedAt, r.UpdatedAt, r.PublishedAt);
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
/// <remarks>
/// Every command runs through <see cref="CommandRunner"/> on the domain's DbContext. A change to a rebuttal saves the
/// rebuttal's row first, under its xmin token, and only then writes what hangs off it (a version, deliveries): of two
/// concurrent changes the second's save finds the row changed, and the command runs again on the row as it is now, so
/// its state checks answer exactly as they did when the two queued on a row lock ("This rebuttal is approved: …").
/// </remarks>
public sealed class RebuttalCommands(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands,
    ConfiguredChannels channels, DeliverySignal signal, IncidentActivityFeed activity, TimeProvider time)
{
    public async Task<IReadOnlyList<RebuttalRecord>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Rebuttals.AsNoTracking().Where(r => r.IncidentId == incidentId).OrderByDescending(r => r.Id).ToListAsync(cancellationToken))
            .Select(RebuttalRecord.Of).ToList();
    }

    public async Task<RebuttalRecord?> GetAsync(int rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Rebuttals.AsNoTracking().SingleOrDefaultAsync(r => r.Id == rebuttalId, cancellationToken) is { } row ? RebuttalRecord.Of(row) : null;
    }

    /// <summary>Every saved version, newest first.</summary>
    public async Task<IReadOnlyList<RebuttalVersion>> VersionsAsync(int rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.RebuttalVersions.AsNoTracking().Where(v => v.RebuttalId == rebuttalId).OrderByDescending(v => v.Version).ToListAsync(cancellationToken);
        return rows.Select(r => new RebuttalVersion(r.Version, ReadVariants(r.Variants), r.EditedBy, r.EditedAt, r.Note)).ToList();
    }

    public async Task<IReadOnlyList<RebuttalTemplate>> TemplatesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.RebuttalTemplates.AsNoTracking().OrderBy(t => t.Name).ToListAsync(cancellationToken);
        return rows.Select(r => new RebuttalTemplate(r.Id, r.Name, ReadVariants(r.Variants))).ToList();
    }

    /// <summary>Saves per-channel texts as a reusable template (Operator); a template of the same name is replaced.</summary>
    /// <exception cref="CommandException">409 when someone else saved a new template of the same name at the same moment.</exception>
    public async Task<int> SaveTemplateAsync(ClaimsPrincipal user, string name, IReadOnlyDictionary<TextChannel, string> variants, CancellationToken cancellationToken = default)
    {
        name = (name ?? "").Trim();
        try
        {
            return await SaveTemplateOnceAsync(user, name, variants, cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "rebuttal_templates_name_key" })
        {
            // Both saw no template of that name and both inserted one; the unique index kept the first.
            throw new CommandException($"Someone else saved a template named \"{name}\" at the same moment. Look at theirs first; saving again replaces it.",
                StatusCodes.Status409Conflict);
        }
    }

    private async Task<int> SaveTemplateOnceAsync(ClaimsPrincipal user, string name, IReadOnlyDictionary<TextChannel, string> variants, CancellationToken cancellationToken)
    {
        return await commands.RunAsync(user, new CommandSpec(Policies.Operator, "save a rebuttal template", null), async command =>
        {
            if (name.Length is < 2 or > 100)
                throw new RebuttalInputException("A template needs a name of 2 to 100 characters.");
            var lowered = name.ToLowerInvariant();
            var template = await command.Db.RebuttalTemplates.SingleOrDefaultAsync(t => t.Name.ToLower() == lowered, command.CancellationToken);
            if (template is null)
                command.Db.RebuttalTemplates.Add(template = new RebuttalTemplateRow());
            template.Name = name;
            template.Variants = WriteVariants(variants);
            template.CreatedBy = command.Actor;
            template.CreatedAt = time.GetUtcNow().UtcDateTime;
            await command.SaveAsync();
            await command.RecordAsync(null, new RebuttalTemplateSaved(template.Id, name));
            return template.Id;
        }, cancellationToken);
    }

    /// <summary>Drafts a rebuttal (Operator), from a rumour when <paramref name="rumourId"/> is given.</summary>
    public async Task<int> DraftAsync(ClaimsPrincipal user, int incidentId, int? rumourId, string title, IReadOnlyDictionary<TextChannel, string> variants, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var id = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "draft a rebuttal", incidentId), async command =>
        {
            title = (title ?? "").Trim();
            if (title.Length is < 3 or > 200)
                throw new RebuttalInputException("A rebuttal needs a title of 3 to 200 characters (what claim it answers).");
            var clean = Clean(variants);
            if (!await command.Db.Incidents.AnyAsync(i => i.Id == incidentId, command.CancellationToken))
                throw new RebuttalInputException($"There is no incident {incidentId}.");
            var rebuttal = new RebuttalRow { IncidentId = incidentId, RumourId = rumourId, Title = title, State = RebuttalRecord.Draft, Version = 1, Author = actor, Editors = [actor] };
            command.Db.Rebuttals.Add(rebuttal);
            await command.SaveAsync();
            command.Db.RebuttalVersions.Add(new RebuttalVersionRow { RebuttalId = rebuttal.Id, Version = 1, Variants = WriteVariants(clean), EditedBy = actor });
            await command.RecordAsync(incidentId, new RebuttalDrafted(rebuttal.Id, rumourId, title, 1, ToJsonKeys(clean)));
            return rebuttal.Id;
        }, cancellationToken);
        Announce(incidentId, EventActions.RebuttalDrafted, actor, rumourId, $"{actor} drafted rebuttal {id}: {title}");
        return id;
    }

    /// <summary>Saves new texts as the next version (Operator); a rejected rebuttal becomes a draft again.</summary>
    public async Task<int> ReviseAsync(ClaimsPrincipal user, int rebuttalId, IReadOnlyDictionary<TextChannel, string> variants, string? note, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (rebuttal, version) = await ChangeAsync(user, Policies.Operator, "revise a rebuttal", rebuttalId, async (command, loaded) =>
        {
            var rebuttal = loaded.Rebuttal;
            var clean = Clean(variants);
            if (rebuttal.State is not (RebuttalRecord.Draft or RebuttalRecord.Rejected))
                throw new RebuttalInputException($"This rebuttal is {rebuttal.State}: only a draft or a rejected rebuttal can be changed.");
            var version = rebuttal.Version + 1;
            rebuttal.Version = version;
            rebuttal.State = RebuttalRecord.Draft;
            if (!rebuttal.Editors.Contains(actor))
                rebuttal.Editors = [.. rebuttal.Editors, actor];
            await SaveFirstAsync(command, rebuttal);
            command.Db.RebuttalVersions.Add(new RebuttalVersionRow { RebuttalId = rebuttalId, Version = version, Variants = WriteVariants(clean), EditedBy = actor, Note = note });
            await command.RecordAsync(rebuttal.IncidentId, new RebuttalRevised(rebuttalId, version, note, ToJsonKeys(clean)));
            return version;
        }, cancellationToken);
        Announce(rebuttal.IncidentId, EventActions.RebuttalRevised, actor, rebuttal.RumourId, $"{actor} saved version {version} of rebuttal {rebuttalId}");
        return version;
    }

    /// <summary>Asks for approval (Operator): every text must fit its channel and at least one social text must exist.</summary>
    public async Task SubmitAsync(ClaimsPrincipal user, int rebuttalId, CancellationToken cancellationToken = default)
    {
        var (rebuttal, _) = await ChangeAsync(user, Policies.Operator, "submit a rebuttal for approval", rebuttalId, async (command, loaded) =>
        {
            var rebuttal = loaded.Rebuttal;
            if (rebuttal.State is not (RebuttalRecord.Draft or RebuttalRecord.Rejected))
                throw new RebuttalInputException($"This rebuttal is {rebuttal.State}: only a draft can be submitted.");
            var variants = ReadVariants(loaded.CurrentVariants ?? "{}");
            var tooLong = variants.Select(v => ChannelText.Count(v.Key, v.Value)).Where(l => !l.Fits).ToList();
            if (tooLong.Count > 0)
                throw new RebuttalInputException("Too long for its channel: " + string.Join("; ", tooLong.Select(l => $"{l.Channel} {l.Used}/{l.Limit} {l.Unit}" + (l.Segments is { } s ? $" ({s} segments)" : ""))));
            if (!ChannelNames.Social.Any(c => variants.ContainsKey(ChannelNames.TextChannelOf(c)!.Value)))
                throw new RebuttalInputException("Write the text for at least one social channel (X, Mastodon or Bluesky) before submitting.");
            rebuttal.State = RebuttalRecord.Submitted;
            return await command.RecordAsync(rebuttal.IncidentId, new RebuttalSubmitted(rebuttalId, rebuttal.Version));
        }, cancellationToken);
        Announce(rebuttal.IncidentId, EventActions.RebuttalSubmitted, user.ActorName(), rebuttal.RumourId, $"{user.ActorName()} submitted rebuttal {rebuttalId} for approval");
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
        var actor = user.ActorName();
        (RebuttalRow Rebuttal, EventPayload Decision) decided;
        try
        {
            decided = await ChangeAsync(user, Policies.Approver, $"{verb} a rebuttal", rebuttalId, async (command, loaded) =>
            {
                var rebuttal = loaded.Rebuttal;
                // The two-person rule on the row the save is guarded by: a writer added meanwhile moves its xmin, and the
                // command runs again and sees them.
                if (rebuttal.Editors.Contains(actor, StringComparer.OrdinalIgnoreCase))
                    throw new TwoPersonRefusal(rebuttal.IncidentId);
                if (rebuttal.State != RebuttalRecord.Submitted)
                    throw new RebuttalInputException($"This rebuttal is {rebuttal.State}: only a submitted rebuttal can be {verb}d.");
                rebuttal.State = approve ? RebuttalRecord.Approved : RebuttalRecord.Rejected;
                rebuttal.Approver = actor;
                rebuttal.DecisionComment = comment?.Trim();
                rebuttal.DecidedAt = time.GetUtcNow().UtcDateTime;
                EventPayload decision = approve
                    ? new RebuttalApproved(rebuttalId, rebuttal.Version, rebuttal.Author, comment?.Trim())
                    : new RebuttalRejected(rebuttalId, rebuttal.Version, rebuttal.Author, comment?.Trim());
                await command.RecordAsync(rebuttal.IncidentId, decision);
                return decision;
            }, cancellationToken);
        }
        catch (TwoPersonRefusal refusal)
        {
            // The command rolled back; the refusal is recorded on its own.
            await EventLog.AppendAsync(dataSource, actor, refusal.IncidentId,
                new AuthorizationDenied($"{verb} a rebuttal they wrote", Rule: "two-person", RebuttalId: rebuttalId), cancellationToken);
            throw new Alerts.TwoPersonRuleException($"You wrote this rebuttal, so you cannot {verb} it: another Approver must.");
        }
        Announce(decided.Rebuttal.IncidentId, EventContract.ActionOf(decided.Decision), actor, decided.Rebuttal.RumourId, $"{actor} {verb}d rebuttal {rebuttalId}");
    }

    /// <summary>Leaves the command when the two-person rule refuses, so that the refusal is recorded after the rollback.</summary>
    private sealed class TwoPersonRefusal(int incidentId) : Exception
    {
        public int IncidentId { get; } = incidentId;
    }

    /// <summary>
    /// Publishes an approved rebuttal (Operator): one delivery per configured social channel that has a text, in the same
    /// transaction; with <paramref name="only"/>, to those of them the person chose.
    /// </summary>
    /// <remarks>With <paramref name="listIds"/>, also to those email and SMS recipient lists (an SMS list needs the SMS text).</remarks>
    public async Task<IReadOnlyList<string>> PublishAsync(ClaimsPrincipal user, int rebuttalId, IReadOnlyCollection<string>? only = null,
        CancellationToken cancellationToken = default, IReadOnlyCollection<int>? listIds = null)
    {
        var (rebuttal, targets) = await ChangeAsync(user, Policies.Operator, "publish a rebuttal", rebuttalId, async (command, loaded) =>
        {
            var rebuttal = loaded.Rebuttal;
            if (rebuttal.State != RebuttalRecord.Approved)
                throw new RebuttalInputException($"This rebuttal is {rebuttal.State}: only an approved rebuttal can be published.");
            var variants = ReadVariants(loaded.CurrentVariants ?? "{}");
            var lists = listIds ?? [];
            // Choosing only lists is choosing no social channel.
            var chosen = only ?? (lists.Count > 0 ? [] : null);
            var targets = PublishableChannels(variants).Where(c => chosen is null || chosen.Contains(c)).ToList();
            if (chosen is not null && targets.Count == 0 && lists.Count == 0)
                throw new RebuttalInputException("Choose at least one channel that is configured and has a text.");
            if (targets.Count == 0 && lists.Count == 0)
                throw new RebuttalInputException("No configured social channel has a text in this rebuttal: configure a channel (CrisisDesk:Channels) or write its text.");
            rebuttal.State = RebuttalRecord.Published;
            rebuttal.PublishedAt = time.GetUtcNow().UtcDateTime;
            await SaveFirstAsync(command, rebuttal);
            // The outbox and the recipient lists through the command's DbContext, in this transaction.
            var deliveryIds = (await DeliveryStore.EnqueueAsync(command.Db, rebuttal.IncidentId, null, rebuttalId, targets, command.CancellationToken)).ToList();
            if (lists.Count > 0)
            {
                var kinds = await ListDeliveries.KindsAsync(command.Db, lists, command.CancellationToken);
                if (kinds.Contains(RecipientListKinds.Sms) && !variants.ContainsKey(TextChannel.Sms))
                    throw new RebuttalInputException("Write the rebuttal's SMS text before publishing it to an SMS list.");
                deliveryIds.AddRange((await ListDeliveries.EnqueueAsync(command.Db, rebuttal.IncidentId, null, rebuttalId, lists, command.CancellationToken)).Select(d => d.Id));
                targets.AddRange(kinds.Select(ListDeliveries.ChannelOf).Distinct());
            }
            await command.RecordAsync(rebuttal.IncidentId, new RebuttalPublished(rebuttalId, rebuttal.Version, rebuttal.RumourId, targets, deliveryIds));
            return targets;
        }, cancellationToken);
        signal.Notify();
        Announce(rebuttal.IncidentId, EventActions.RebuttalPublished, user.ActorName(), rebuttal.RumourId,
            $"{user.ActorName()} published rebuttal {rebuttalId} to {string.Join(", ", targets.Select(ChannelNames.Label))}");
        return targets;
    }

    /// <summary>
    /// One change to one rebuttal, through <see cref="CommandRunner.RunOnAsync{TRow, T}"/>: the row read once, tracked, in
    /// the command's transaction, authorised for the rebuttal's incident on that same connection, changed, and saved under
    /// its xmin token. When someone else's change reached the row between our read and our save, the command runs again
    /// from the start on the row as it now is.
    /// </summary>
    private async Task<(RebuttalRow Rebuttal, T Result)> ChangeAsync<T>(ClaimsPrincipal user, string policy, string what, int rebuttalId,
        Func<CommandTransaction, LoadedRebuttal, Task<T>> change, CancellationToken cancellationToken)
    {
        var (loaded, result) = await CommandRunner.RunWithRetryAsync(() => commands.RunOnAsync(user, policy, what,
            (db, token) => LoadForChange(db, rebuttalId, token), l => l.Rebuttal.IncidentId,
            () => new RebuttalInputException($"There is no rebuttal {rebuttalId}."),
            async (command, loaded) =>
            {
                loaded.Rebuttal.UpdatedAt = time.GetUtcNow().UtcDateTime;
                return await change(command, loaded);
            }, cancellationToken),
            () => new RebuttalInputException("Others changed this rebuttal at the same moment, several times over: look at it again and retry."));
        return (loaded.Rebuttal, result);
    }

    /// <summary>A rebuttal loaded for change, tracked, with the texts of its current version (read in the same query).</summary>
    private sealed class LoadedRebuttal
    {
        public required RebuttalRow Rebuttal { get; init; }
        public string? CurrentVariants { get; init; }
    }

    // The hot tracked load, compiled once: every revise, submit, decision and publish runs it. The current version's
    // texts come in the same round trip (a primary-key lookup), which submit and publish need.
    private static readonly Func<CrisisDeskDbContext, int, CancellationToken, Task<LoadedRebuttal?>> LoadForChange =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int id, CancellationToken _) => db.Rebuttals
            .Where(r => r.Id == id)
            .Select(r => new LoadedRebuttal
            {
                Rebuttal = r,
                CurrentVariants = db.RebuttalVersions.Where(v => v.RebuttalId == r.Id && v.Version == r.Version).Select(v => v.Variants).FirstOrDefault(),
            })
            .SingleOrDefault());

    /// <summary>Saves the rebuttal's row before anything that hangs off it, so a concurrent change is found by its xmin first.</summary>
    private static Task SaveFirstAsync(CommandTransaction command, RebuttalRow rebuttal) =>
        command.Db.Entry(rebuttal).State == EntityState.Modified ? command.SaveAsync() : Task.CompletedTask;

    /// <summary>The email and SMS recipient lists a rebuttal can also be published to.</summary>
    public Task<IReadOnlyList<ListChoice>> ListChoicesAsync(CancellationToken cancellationToken = default) =>
        ListDeliveries.ChoicesAsync(contexts, cancellationToken);

    /// <summary>The configured social channels that have a text among <paramref name="variants"/>: where publishing can go.</summary>
    public IReadOnlyList<string> PublishableChannels(IReadOnlyDictionary<TextChannel, string> variants) =>
        [.. channels.Social().Where(c => variants.ContainsKey(ChannelNames.TextChannelOf(c)!.Value))];

    private void Announce(int incidentId, string action, string actor, int? rumourId, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), RumourId: rumourId, Summary: summary));

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
