using System.Security.Claims;
using System.Security.Cryptography;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.RecipientLists;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>An alert as stored: its workflow state and its CAP document.</summary>
public sealed record AlertRecord(
    int Id, int IncidentId, string Identifier, int? ThreadRootId, string MsgType, string CapStatus, string Headline, string CapXml,
    string State, string Author, string EditorsJson, string? Approver, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt, DateTime? DecidedAt)
{
    /// <summary>Everyone who wrote any part of it.</summary>
    public IReadOnlyList<string> Editors => System.Text.Json.JsonSerializer.Deserialize<string[]>(EditorsJson) ?? [];

    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Rejected = "rejected";

    public int ThreadId => ThreadRootId ?? Id;

    public CapAlert ToCap() => Core.Alerts.CapXml.Read(CapXml);
}

/// <summary>An alert command that cannot be accepted as it stands; <see cref="Problems"/> names each CAP problem by field.</summary>
public sealed class AlertInputException(string message, IReadOnlyList<CapProblem>? problems = null) : CommandException(message, StatusCodes.Status400BadRequest)
{
    public IReadOnlyList<CapProblem> Problems { get; } = problems ?? [];

    /// <summary>The refusal with each problem the CAP check found.</summary>
    public override IResult ToResult() => Results.Problem(Message, statusCode: StatusCode,
        extensions: new Dictionary<string, object?> { ["problems"] = Problems.Select(p => p.ToString()).ToArray() });
}

/// <summary>The same person tried to approve or reject what they wrote; the refusal is already recorded.</summary>
public sealed class TwoPersonRuleException(string message) : CommandException(message, StatusCodes.Status403Forbidden);

/// <summary>
/// Drafting, revising, submitting, approving and rejecting CAP alerts, and drafting their Updates and Cancels.
/// Each command is authorised on the server and written with its event in one transaction; approval also fills the
/// outbox (one delivery per channel) in that same transaction. Nobody who wrote any part of an alert may approve or
/// reject it; in a drill incident every message is forced to status Exercise.
/// </summary>
public sealed class AlertCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, IOptions<PublishingOptions> publishing,
    ConfiguredChannels channels, DeliverySignal signal, TimeProvider clock, IncidentActivityFeed activity)
{
    private const string Columns = """
        id, incident_id AS IncidentId, identifier, thread_root_id AS ThreadRootId, msg_type AS MsgType, cap_status AS CapStatus, headline,
        cap_xml AS CapXml, state, author, array_to_json(editors)::text AS EditorsJson, approver, decision_comment AS DecisionComment, created_at AS CreatedAt,
        updated_at AS UpdatedAt, decided_at AS DecidedAt
        """;

    public async Task<IReadOnlyList<AlertRecord>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AlertRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM alerts WHERE incident_id = @incidentId ORDER BY coalesce(thread_root_id, id) DESC, id",
            new { incidentId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    public async Task<AlertRecord?> GetAsync(int alertId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, alertId, forUpdate: false, cancellationToken);
    }

    /// <summary>Every message of the alert's thread, oldest first.</summary>
    public async Task<IReadOnlyList<AlertRecord>> ThreadAsync(int alertId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AlertRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM alerts
             WHERE coalesce(thread_root_id, id) = (SELECT coalesce(thread_root_id, id) FROM alerts WHERE id = @alertId)
             ORDER BY id
            """, new { alertId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Saves a new alert (msgType Alert) as a draft (Operator). It may still have problems; they are returned.</summary>
    public async Task<(int AlertId, IReadOnlyList<CapProblem> Problems)> DraftAsync(ClaimsPrincipal user, int incidentId, CapAlert composed, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "draft an alert", incidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var isDrill = await IsDrillAsync(connection, incidentId, cancellationToken);
        var alert = Stamp(composed, NewIdentifier(), CapMsgType.Alert, [], isDrill);
        return await InsertDraftAsync(connection, user, incidentId, threadRootId: null, alert, cancellationToken);
    }

    /// <summary>Drafts an Update or a Cancel of an approved alert's thread, referencing every message issued in it (Operator).</summary>
    public async Task<int> DraftFollowUpAsync(ClaimsPrincipal user, int alertId, CapMsgType msgType, CancellationToken cancellationToken = default)
    {
        if (msgType is not (CapMsgType.Update or CapMsgType.Cancel))
            throw new AlertInputException("A follow-up is an Update or a Cancel.");
        var thread = await ThreadAsync(alertId, cancellationToken);
        var incidentId = thread.Count > 0 ? thread[0].IncidentId : (int?)null;
        await authorizer.RequireAsync(user, Policies.Operator, $"draft an alert {msgType.ToString().ToLowerInvariant()}", incidentId, cancellationToken);
        var issued = thread.Where(a => a.State == AlertRecord.Approved).ToList();
        if (issued.Count == 0)
            throw new AlertInputException("Only an alert that has been approved and issued can be updated or cancelled.");
        if (issued.Any(a => a.MsgType == nameof(CapMsgType.Cancel)))
            throw new AlertInputException("This alert has been cancelled; issue a new alert instead.");
        var latest = issued[^1].ToCap();
        var references = issued.Select(a => a.ToCap().AsReference()).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var isDrill = await IsDrillAsync(connection, incidentId!.Value, cancellationToken);
        var alert = Stamp(latest, NewIdentifier(), msgType, references, isDrill);
        var (id, _) = await InsertDraftAsync(connection, user, incidentId.Value, thread[0].Id, alert, cancellationToken);
        return id;
    }

    /// <summary>Replaces a draft's content (Operator); its identity, type and references stay.</summary>
    public async Task<IReadOnlyList<CapProblem>> ReviseAsync(ClaimsPrincipal user, int alertId, CapAlert composed, CancellationToken cancellationToken = default)
    {
        var incidentId = await IncidentOfAsync(alertId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "revise an alert", incidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await LoadAsync(connection, transaction, alertId, forUpdate: true, cancellationToken) ?? throw NotFound(alertId);
        if (stored.State is not (AlertRecord.Draft or AlertRecord.Rejected))
            throw new AlertInputException($"This alert is {stored.State}: only a draft or a rejected alert can be changed.");
        var current = stored.ToCap();
        var alert = Stamp(composed, current.Identifier, current.MsgType, current.References, await IsDrillAsync(connection, stored.IncidentId, cancellationToken));
        var headline = HeadlineOf(alert);
        await connection.ExecuteAsync("""
            UPDATE alerts SET cap_xml = @xml, cap_status = @status, headline = @headline, state = 'draft', updated_at = now(),
                   editors = CASE WHEN @actor = ANY(editors) THEN editors ELSE editors || @actor END
             WHERE id = @alertId
            """, new { alertId, xml = CapXml.Write(alert), status = alert.Status.ToString(), headline, actor = user.ActorName() }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), stored.IncidentId,
            new AlertRevised(alertId, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), headline), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return CapValidator.Validate(alert);
    }

    /// <summary>Asks for approval (Operator). Refused while the CAP document has errors.</summary>
    public async Task SubmitAsync(ClaimsPrincipal user, int alertId, CancellationToken cancellationToken = default)
    {
        var incidentId = await IncidentOfAsync(alertId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "submit an alert for approval", incidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await LoadAsync(connection, transaction, alertId, forUpdate: true, cancellationToken) ?? throw NotFound(alertId);
        if (stored.State is not (AlertRecord.Draft or AlertRecord.Rejected))
            throw new AlertInputException($"This alert is {stored.State}: only a draft can be submitted.");
        RequireValid(stored.ToCap());
        await connection.ExecuteAsync("UPDATE alerts SET state = 'submitted', updated_at = now() WHERE id = @alertId", new { alertId }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), stored.IncidentId,
            new AlertSubmitted(alertId, stored.Identifier), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(stored.IncidentId, EventActions.AlertSubmitted, user.ActorName(), $"{user.ActorName()} submitted alert {alertId} for approval");
    }

    /// <summary>
    /// Approves and issues a submitted alert (Approver, not one of its writers): stamps the sent time, validates it
    /// once more, and queues one delivery per channel, all in one transaction. An Update or Cancel goes to every
    /// channel its thread went to.
    /// </summary>
    /// <remarks>
    /// With <paramref name="listIds"/>, it also goes to those email and SMS recipient lists (one delivery per list);
    /// an Update or Cancel goes to the lists its thread went to, as well as any chosen now.
    /// </remarks>
    public async Task ApproveAsync(ClaimsPrincipal user, int alertId, string? comment, CancellationToken cancellationToken = default,
        IReadOnlyCollection<int>? listIds = null)
    {
        await RequireApproverAsync(user, alertId, "approve", cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await LoadAsync(connection, transaction, alertId, forUpdate: true, cancellationToken) ?? throw NotFound(alertId);
        await RequireNotWriterAsync(transaction, user, stored, "approve", cancellationToken);
        if (stored.State != AlertRecord.Submitted)
            throw new AlertInputException($"This alert is {stored.State}: only a submitted alert can be approved.");
        var isDrill = await IsDrillAsync(connection, stored.IncidentId, cancellationToken);
        var draft = stored.ToCap();
        var alert = draft with { Sent = WholeSecondsUtc(clock.GetUtcNow()), Status = isDrill ? CapStatus.Exercise : draft.Status };
        RequireValid(alert);

        var channelNames = await IssueChannelsAsync(connection, transaction, stored.ThreadRootId);
        var actor = user.ActorName();
        await connection.ExecuteAsync("""
            UPDATE alerts SET cap_xml = @xml, cap_status = @status, state = 'approved', approver = @actor, decision_comment = @comment,
                   decided_at = now(), updated_at = now()
             WHERE id = @alertId
            """, new { alertId, xml = CapXml.Write(alert), status = alert.Status.ToString(), actor, comment }, transaction);
        var deliveryIds = (await DeliveryStore.EnqueueAsync(connection, transaction, stored.IncidentId, alertId, null, channelNames)).ToList();
        var lists = (listIds ?? []).ToList();
        if (stored.ThreadRootId is { } root)
            lists.AddRange(await ListDeliveries.ThreadListsAsync(connection, transaction, root));
        if (lists.Count > 0)
        {
            var listDeliveries = await ListDeliveries.EnqueueAsync(connection, transaction, stored.IncidentId, alertId, null, lists);
            deliveryIds.AddRange(listDeliveries);
            channelNames.AddRange((await connection.QueryAsync<string>("SELECT DISTINCT channel FROM deliveries WHERE id = ANY(@ids)",
                new { ids = listDeliveries.ToArray() }, transaction)).Where(c => !channelNames.Contains(c)));
        }
        await EventLog.AppendAsync(connection, transaction, actor, stored.IncidentId,
            new AlertApproved(alertId, alert.Identifier, stored.Author, comment), cancellationToken);
        await EventLog.AppendAsync(connection, transaction, actor, stored.IncidentId, new AlertPublished(
            alertId, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), CapDateTime.Format(alert.Sent), HeadlineOf(alert),
            alert.References.Select(r => r.ToString()).ToArray(), channelNames, deliveryIds), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Notify();
        Announce(stored.IncidentId, EventActions.AlertApproved, actor, $"{actor} approved and issued alert {alertId}");
    }

    /// <summary>The email and SMS recipient lists an approver may add to an approval.</summary>
    public Task<IReadOnlyList<ListChoice>> ListChoicesAsync(CancellationToken cancellationToken = default) =>
        ListDeliveries.ChoicesAsync(dataSource, cancellationToken);

    /// <summary>
    /// The channels approving this alert would send it to (shown to the approver before they decide): every
    /// configured alert channel for a new alert; for an Update or Cancel, the channels its thread went to.
    /// </summary>
    public async Task<IReadOnlyList<string>> IssueChannelsAsync(int? threadRootId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await IssueChannelsAsync(connection, null, threadRootId);
    }

    private async Task<List<string>> IssueChannelsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int? threadRootId)
    {
        var channelNames = threadRootId is { } root
            ? (await connection.QueryAsync<string>("""
                SELECT DISTINCT d.channel FROM deliveries d JOIN alerts a ON a.id = d.alert_id
                 WHERE coalesce(a.thread_root_id, a.id) = @root AND d.recipient_list_id IS NULL
                """, new { root }, transaction)).ToList()
            : [.. channels.ForAlerts()];
        if (!channelNames.Contains(ChannelNames.CapFeed))
            channelNames.Insert(0, ChannelNames.CapFeed);
        return channelNames;
    }

    /// <summary>Sends a submitted alert back to its writers with a reason (Approver, not one of its writers).</summary>
    public async Task RejectAsync(ClaimsPrincipal user, int alertId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
            throw new AlertInputException("Say why the alert is rejected: the comment is what its author will work from.");
        await RequireApproverAsync(user, alertId, "reject", cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await LoadAsync(connection, transaction, alertId, forUpdate: true, cancellationToken) ?? throw NotFound(alertId);
        await RequireNotWriterAsync(transaction, user, stored, "reject", cancellationToken);
        if (stored.State != AlertRecord.Submitted)
            throw new AlertInputException($"This alert is {stored.State}: only a submitted alert can be rejected.");
        await connection.ExecuteAsync("""
            UPDATE alerts SET state = 'rejected', approver = @actor, decision_comment = @comment, decided_at = now(), updated_at = now() WHERE id = @alertId
            """, new { alertId, actor = user.ActorName(), comment = comment.Trim() }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), stored.IncidentId,
            new AlertRejected(alertId, stored.Identifier, stored.Author, comment.Trim()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(stored.IncidentId, EventActions.AlertRejected, user.ActorName(), $"{user.ActorName()} rejected alert {alertId}");
    }

    // Approvers' inboxes and badges follow submissions and decisions live.
    private void Announce(int incidentId, string action, string actor, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, clock.GetUtcNow(), Summary: summary));

    /// <summary>The role, checked (and recorded when refused) before any lock is taken.</summary>
    private async Task RequireApproverAsync(ClaimsPrincipal user, int alertId, string verb, CancellationToken cancellationToken)
    {
        var incidentId = await IncidentOfAsync(alertId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Approver, $"{verb} an alert", incidentId, cancellationToken);
        if (incidentId is null)
            throw NotFound(alertId);
    }

    /// <summary>
    /// The two-person rule, checked on the row locked by the deciding transaction: a writer added between a check
    /// outside and the decision would otherwise approve their own words. A refusal rolls back and is recorded.
    /// </summary>
    private async Task RequireNotWriterAsync(NpgsqlTransaction transaction, ClaimsPrincipal user, AlertRecord locked, string verb, CancellationToken cancellationToken)
    {
        var actor = user.ActorName();
        if (!locked.Editors.Contains(actor, StringComparer.OrdinalIgnoreCase))
            return;
        await transaction.RollbackAsync(cancellationToken);
        await EventLog.AppendAsync(dataSource, actor, locked.IncidentId,
            new AuthorizationDenied($"{verb} an alert they wrote", Rule: "two-person", AlertId: locked.Id, Identifier: locked.Identifier), cancellationToken);
        throw new TwoPersonRuleException($"You wrote this alert, so you cannot {verb} it: another Approver must.");
    }

    private async Task<(int, IReadOnlyList<CapProblem>)> InsertDraftAsync(NpgsqlConnection connection, ClaimsPrincipal user, int incidentId, int? threadRootId, CapAlert alert, CancellationToken cancellationToken)
    {
        var actor = user.ActorName();
        var headline = HeadlineOf(alert);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO alerts (incident_id, identifier, thread_root_id, msg_type, cap_status, headline, cap_xml, state, author, editors)
            VALUES (@incidentId, @identifier, @threadRootId, @msgType, @status, @headline, @xml, 'draft', @actor, ARRAY[@actor])
            RETURNING id
            """, new { incidentId, identifier = alert.Identifier, threadRootId, msgType = alert.MsgType.ToString(), status = alert.Status.ToString(), headline, xml = CapXml.Write(alert), actor }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, incidentId, new AlertDrafted(
            id, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), headline, threadRootId,
            alert.References.Select(r => r.ToString()).ToArray()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (id, CapValidator.Validate(alert));
    }

    /// <summary>What the server decides whatever the form said: identity, sender, type, references, and Exercise in a drill.</summary>
    private CapAlert Stamp(CapAlert composed, string identifier, CapMsgType msgType, IReadOnlyList<CapReference> references, bool isDrill) => composed with
    {
        Identifier = identifier,
        Sender = publishing.Value.Sender,
        Sent = WholeSecondsUtc(clock.GetUtcNow()),
        MsgType = msgType,
        References = new EquatableList<CapReference>(references),
        Status = isDrill ? CapStatus.Exercise : composed.Status,
    };

    private static void RequireValid(CapAlert alert)
    {
        var problems = CapValidator.Validate(alert);
        if (!problems.IsValid())
            throw new AlertInputException("The alert is not valid CAP 1.2 yet: " + string.Join("; ", problems.Where(p => p.IsError).Select(p => p.ToString())),
                problems);
    }

    private static string HeadlineOf(CapAlert alert) =>
        alert.Infos.Count > 0 ? alert.Infos[0].Headline ?? alert.Infos[0].Event : "(no info block)";

    private static DateTimeOffset WholeSecondsUtc(DateTimeOffset now) =>
        new(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    /// <summary>Unique per sender, and free of the characters CAP forbids in identifiers.</summary>
    private string NewIdentifier() =>
        $"crisisdesk-{clock.GetUtcNow():yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    private async Task<int?> IncidentOfAsync(int alertId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>("SELECT incident_id FROM alerts WHERE id = @alertId", new { alertId });
    }

    private static async Task<bool> IsDrillAsync(NpgsqlConnection connection, int incidentId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<bool?>(new CommandDefinition("SELECT is_drill FROM incidents WHERE id = @incidentId", new { incidentId }, cancellationToken: cancellationToken))
        ?? throw new AlertInputException($"There is no incident {incidentId}.");

    private static async Task<AlertRecord?> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int alertId, bool forUpdate, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<AlertRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM alerts WHERE id = @alertId" + (forUpdate ? " FOR UPDATE" : ""), new { alertId }, transaction, cancellationToken: cancellationToken));

    private static AlertInputException NotFound(int alertId) => new($"There is no alert {alertId}.");
}
