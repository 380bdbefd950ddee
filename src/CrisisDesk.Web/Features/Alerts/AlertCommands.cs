using System.Security.Claims;
using System.Security.Cryptography;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.RecipientLists;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>An alert as stored: its workflow state and its CAP document.</summary>
public sealed record AlertRecord(
    int Id, int IncidentId, string Identifier, int? ThreadRootId, string MsgType, string CapStatus, string Headline, string CapXml,
    string State, string Author, IReadOnlyList<string> Editors, string? Approver, string? DecisionComment, DateTime CreatedAt, DateTime UpdatedAt, DateTime? DecidedAt)
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string Approved = "approved";
    public const string Rejected = "rejected";

    public int ThreadId => ThreadRootId ?? Id;

    public CapAlert ToCap() => Core.Alerts.CapXml.Read(CapXml);

    internal static AlertRecord Of(AlertRow a) =>
        new(a.Id, a.IncidentId, a.Identifier, a.ThreadRootId, a.MsgType, a.CapStatus, a.Headline, a.CapXml, a.State, a.Author, a.Editors,
            a.Approver, a.DecisionComment, a.CreatedAt, a.UpdatedAt, a.DecidedAt);
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
/// Each command runs through <see cref="CommandRunner"/> on the domain's DbContext: authorised on the server and
/// written with its event in one transaction; approval also fills the outbox (one delivery per channel) in that same
/// transaction. Nobody who wrote any part of an alert may approve or reject it; in a drill incident every message is
/// forced to status Exercise.
/// </summary>
/// <remarks>
/// A change to an alert saves the alert's row first, under its xmin token, and only then writes what hangs off it
/// (deliveries, events): of two concurrent changes the second's save finds the row changed, and the command runs again
/// on the row as it is now, so its checks (the state, the two-person rule) answer as they did when the two queued on a
/// row lock ("This alert is approved: …").
/// </remarks>
public sealed class AlertCommands(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands,
    IOptions<PublishingOptions> publishing, ConfiguredChannels channels, DeliverySignal signal, TimeProvider clock, IncidentActivityFeed activity)
{
    public async Task<IReadOnlyList<AlertRecord>> ListAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Alerts.AsNoTracking().Where(a => a.IncidentId == incidentId)
            .OrderByDescending(a => a.ThreadRootId ?? a.Id).ThenBy(a => a.Id).ToListAsync(cancellationToken);
        return rows.Select(AlertRecord.Of).ToList();
    }

    public async Task<AlertRecord?> GetAsync(int alertId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == alertId, cancellationToken) is { } row ? AlertRecord.Of(row) : null;
    }

    /// <summary>Every message of the alert's thread, oldest first.</summary>
    public async Task<IReadOnlyList<AlertRecord>> ThreadAsync(int alertId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var root = db.Alerts.Where(a => a.Id == alertId).Select(a => a.ThreadRootId ?? a.Id);
        var rows = await db.Alerts.AsNoTracking().Where(a => root.Contains(a.ThreadRootId ?? a.Id)).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        return rows.Select(AlertRecord.Of).ToList();
    }

    /// <summary>Saves a new alert (msgType Alert) as a draft (Operator). It may still have problems; they are returned.</summary>
    public async Task<(int AlertId, IReadOnlyList<CapProblem> Problems)> DraftAsync(ClaimsPrincipal user, int incidentId, CapAlert composed, CancellationToken cancellationToken = default) =>
        await commands.RunAsync(user, new CommandSpec(Policies.Operator, "draft an alert", incidentId), async command =>
        {
            var alert = Stamp(composed, NewIdentifier(), CapMsgType.Alert, [], await IsDrillAsync(command, incidentId));
            return await InsertDraftAsync(command, incidentId, threadRootId: null, alert);
        }, cancellationToken);

    /// <summary>Drafts an Update or a Cancel of an approved alert's thread, referencing every message issued in it (Operator).</summary>
    public async Task<int> DraftFollowUpAsync(ClaimsPrincipal user, int alertId, CapMsgType msgType, CancellationToken cancellationToken = default)
    {
        if (msgType is not (CapMsgType.Update or CapMsgType.Cancel))
            throw new AlertInputException("A follow-up is an Update or a Cancel.");
        var thread = await ThreadAsync(alertId, cancellationToken);
        var incidentId = thread.Count > 0 ? thread[0].IncidentId : (int?)null;
        var (id, _) = await commands.RunAsync(user, new CommandSpec(Policies.Operator, $"draft an alert {msgType.ToString().ToLowerInvariant()}", incidentId), async command =>
        {
            var issued = thread.Where(a => a.State == AlertRecord.Approved).ToList();
            if (issued.Count == 0)
                throw new AlertInputException("Only an alert that has been approved and issued can be updated or cancelled.");
            if (issued.Any(a => a.MsgType == nameof(CapMsgType.Cancel)))
                throw new AlertInputException("This alert has been cancelled; issue a new alert instead.");
            var latest = issued[^1].ToCap();
            var references = issued.Select(a => a.ToCap().AsReference()).ToList();
            var alert = Stamp(latest, NewIdentifier(), msgType, references, await IsDrillAsync(command, incidentId!.Value));
            return await InsertDraftAsync(command, incidentId.Value, thread[0].Id, alert);
        }, cancellationToken);
        return id;
    }

    /// <summary>Replaces a draft's content (Operator); its identity, type and references stay.</summary>
    public async Task<IReadOnlyList<CapProblem>> ReviseAsync(ClaimsPrincipal user, int alertId, CapAlert composed, CancellationToken cancellationToken = default)
    {
        var (_, problems) = await ChangeAsync(user, Policies.Operator, "revise an alert", alertId, async (command, loaded) =>
        {
            var stored = loaded.Alert;
            if (stored.State is not (AlertRecord.Draft or AlertRecord.Rejected))
                throw new AlertInputException($"This alert is {stored.State}: only a draft or a rejected alert can be changed.");
            var current = Core.Alerts.CapXml.Read(stored.CapXml);
            var alert = Stamp(composed, current.Identifier, current.MsgType, current.References, loaded.IsDrill);
            var headline = HeadlineOf(alert);
            stored.CapXml = CapXml.Write(alert);
            stored.CapStatus = alert.Status.ToString();
            stored.Headline = headline;
            stored.State = AlertRecord.Draft;
            if (!stored.Editors.Contains(command.Actor))
                stored.Editors = [.. stored.Editors, command.Actor];
            await command.RecordAsync(stored.IncidentId, new AlertRevised(alertId, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), headline));
            return CapValidator.Validate(alert);
        }, cancellationToken);
        return problems;
    }

    /// <summary>Asks for approval (Operator). Refused while the CAP document has errors.</summary>
    public async Task SubmitAsync(ClaimsPrincipal user, int alertId, CancellationToken cancellationToken = default)
    {
        var (stored, _) = await ChangeAsync(user, Policies.Operator, "submit an alert for approval", alertId, async (command, loaded) =>
        {
            var stored = loaded.Alert;
            if (stored.State is not (AlertRecord.Draft or AlertRecord.Rejected))
                throw new AlertInputException($"This alert is {stored.State}: only a draft can be submitted.");
            RequireValid(Core.Alerts.CapXml.Read(stored.CapXml));
            stored.State = AlertRecord.Submitted;
            return await command.RecordAsync(stored.IncidentId, new AlertSubmitted(alertId, stored.Identifier));
        }, cancellationToken);
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
        var actor = user.ActorName();
        var (stored, _) = await DecideAsync(user, alertId, "approve", async (command, loaded) =>
        {
            var stored = loaded.Alert;
            if (stored.State != AlertRecord.Submitted)
                throw new AlertInputException($"This alert is {stored.State}: only a submitted alert can be approved.");
            var draft = Core.Alerts.CapXml.Read(stored.CapXml);
            var alert = draft with { Sent = WholeSecondsUtc(clock.GetUtcNow()), Status = loaded.IsDrill ? CapStatus.Exercise : draft.Status };
            RequireValid(alert);

            var channelNames = await IssueChannelsAsync(command.Db, stored.ThreadRootId, command.CancellationToken);
            var now = clock.GetUtcNow().UtcDateTime;
            stored.CapXml = CapXml.Write(alert);
            stored.CapStatus = alert.Status.ToString();
            stored.State = AlertRecord.Approved;
            stored.Approver = actor;
            stored.DecisionComment = comment;
            stored.DecidedAt = now;
            // The row first, under its xmin: a losing approval stops here, before its deliveries could meet the winner's
            // on their unique index. Then the channel deliveries, all in one batch.
            await command.SaveAsync();
            var deliveries = channelNames.Distinct(StringComparer.Ordinal)
                .Select(channel => new DeliveryRow { IncidentId = stored.IncidentId, AlertId = alertId, Channel = channel, IdempotencyKey = Guid.NewGuid() })
                .ToList();
            command.Db.Deliveries.AddRange(deliveries);
            await command.SaveAsync();
            var deliveryIds = deliveries.Select(d => d.Id).ToList();
            // The recipient list deliveries, through the same DbContext, in this transaction.
            var lists = (listIds ?? []).ToList();
            if (stored.ThreadRootId is { } root)
                lists.AddRange(await ListDeliveries.ThreadListsAsync(command.Db, root, command.CancellationToken));
            if (lists.Count > 0)
            {
                var listDeliveries = await ListDeliveries.EnqueueAsync(command.Db, stored.IncidentId, alertId, null, lists, command.CancellationToken);
                deliveryIds.AddRange(listDeliveries.Select(d => d.Id));
                channelNames.AddRange(listDeliveries.Select(d => d.Channel).Distinct(StringComparer.Ordinal).Where(c => !channelNames.Contains(c)).ToList());
            }
            return await command.RecordAsync(stored.IncidentId,
                new AlertApproved(alertId, alert.Identifier, stored.Author, comment),
                new AlertPublished(alertId, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), CapDateTime.Format(alert.Sent), HeadlineOf(alert),
                    alert.References.Select(r => r.ToString()).ToArray(), channelNames, deliveryIds));
        }, cancellationToken);
        signal.Notify();
        Announce(stored.IncidentId, EventActions.AlertApproved, actor, $"{actor} approved and issued alert {alertId}");
    }

    /// <summary>The email and SMS recipient lists an approver may add to an approval.</summary>
    public Task<IReadOnlyList<ListChoice>> ListChoicesAsync(CancellationToken cancellationToken = default) =>
        ListDeliveries.ChoicesAsync(contexts, cancellationToken);

    /// <summary>
    /// The channels approving this alert would send it to (shown to the approver before they decide): every
    /// configured alert channel for a new alert; for an Update or Cancel, the channels its thread went to.
    /// </summary>
    public async Task<IReadOnlyList<string>> IssueChannelsAsync(int? threadRootId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await IssueChannelsAsync(db, threadRootId, cancellationToken);
    }

    private async Task<List<string>> IssueChannelsAsync(CrisisDeskDbContext db, int? threadRootId, CancellationToken cancellationToken)
    {
        var channelNames = threadRootId is { } root
            ? await db.Deliveries.AsNoTracking()
                .Where(d => d.RecipientListId == null)
                .Join(db.Alerts.Where(a => (a.ThreadRootId ?? a.Id) == root), d => d.AlertId, a => a.Id, (d, a) => d.Channel)
                .Distinct().ToListAsync(cancellationToken)
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
        var actor = user.ActorName();
        var (stored, _) = await DecideAsync(user, alertId, "reject", async (command, loaded) =>
        {
            var stored = loaded.Alert;
            if (stored.State != AlertRecord.Submitted)
                throw new AlertInputException($"This alert is {stored.State}: only a submitted alert can be rejected.");
            stored.State = AlertRecord.Rejected;
            stored.Approver = actor;
            stored.DecisionComment = comment.Trim();
            stored.DecidedAt = clock.GetUtcNow().UtcDateTime;
            return await command.RecordAsync(stored.IncidentId, new AlertRejected(alertId, stored.Identifier, stored.Author, comment.Trim()));
        }, cancellationToken);
        Announce(stored.IncidentId, EventActions.AlertRejected, actor, $"{actor} rejected alert {alertId}");
    }

    // Approvers' inboxes and badges follow submissions and decisions live.
    private void Announce(int incidentId, string action, string actor, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, clock.GetUtcNow(), Summary: summary));

    /// <summary>
    /// An approval or a rejection (Approver), under the two-person rule checked on the row the save is guarded by: a
    /// writer added meanwhile moves its xmin, the decision runs again and sees them. A refusal rolls back and is recorded.
    /// </summary>
    private async Task<(AlertRow Alert, T Result)> DecideAsync<T>(ClaimsPrincipal user, int alertId, string verb,
        Func<CommandTransaction, AlertForChange, Task<T>> decide, CancellationToken cancellationToken)
    {
        var actor = user.ActorName();
        try
        {
            return await ChangeAsync(user, Policies.Approver, $"{verb} an alert", alertId, (command, loaded) =>
                loaded.Alert.Editors.Contains(actor, StringComparer.OrdinalIgnoreCase)
                    ? throw new TwoPersonRefusal(loaded.Alert.IncidentId, loaded.Alert.Identifier)
                    : decide(command, loaded), cancellationToken);
        }
        catch (TwoPersonRefusal refusal)
        {
            // The command rolled back; the refusal is recorded on its own.
            await EventLog.AppendAsync(dataSource, actor, refusal.IncidentId,
                new AuthorizationDenied($"{verb} an alert they wrote", Rule: "two-person", AlertId: alertId, Identifier: refusal.Identifier), cancellationToken);
            throw new TwoPersonRuleException($"You wrote this alert, so you cannot {verb} it: another Approver must.");
        }
    }

    /// <summary>Leaves the command when the two-person rule refuses, so that the refusal is recorded after the rollback.</summary>
    private sealed class TwoPersonRefusal(int incidentId, string identifier) : Exception
    {
        public int IncidentId { get; } = incidentId;
        public string Identifier { get; } = identifier;
    }

    /// <summary>
    /// One change to one alert, through <see cref="CommandRunner.RunOnAsync{TRow, T}"/>: the row (and whether its
    /// incident is a drill) read once, tracked, in the command's transaction, authorised for the alert's incident,
    /// changed, and saved under its xmin token. When someone else's change reached the row between our read and our
    /// save, the command runs again from the start on the row as it now is.
    /// </summary>
    private async Task<(AlertRow Alert, T Result)> ChangeAsync<T>(ClaimsPrincipal user, string policy, string what, int alertId,
        Func<CommandTransaction, AlertForChange, Task<T>> change, CancellationToken cancellationToken)
    {
        var (loaded, result) = await CommandRunner.RunWithRetryAsync(() => commands.RunOnAsync(user, policy, what,
            (db, token) => AlertForChangeQuery(db, alertId, token), l => l.Alert.IncidentId, () => NotFound(alertId),
            async (command, loaded) =>
            {
                loaded.Alert.UpdatedAt = clock.GetUtcNow().UtcDateTime;
                return await change(command, loaded);
            }, cancellationToken),
            () => new AlertInputException("Others changed this alert at the same moment, several times over: look at it again and retry."));
        return (loaded.Alert, result);
    }

    /// <summary>An alert loaded for change, tracked, with whether its incident is a drill (read in the same query).</summary>
    private sealed class AlertForChange
    {
        public required AlertRow Alert { get; init; }
        public bool IsDrill { get; init; }
    }

    // The hot tracked load, compiled once: every revise, submit and decision runs it.
    private static readonly Func<CrisisDeskDbContext, int, CancellationToken, Task<AlertForChange?>> AlertForChangeQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int id, CancellationToken _) =>
            (from a in db.Alerts
             join i in db.Incidents on a.IncidentId equals i.Id
             where a.Id == id
             select new AlertForChange { Alert = a, IsDrill = i.IsDrill }).SingleOrDefault());

    private async Task<(int, IReadOnlyList<CapProblem>)> InsertDraftAsync(CommandTransaction command, int incidentId, int? threadRootId, CapAlert alert)
    {
        var headline = HeadlineOf(alert);
        var row = new AlertRow
        {
            IncidentId = incidentId, Identifier = alert.Identifier, ThreadRootId = threadRootId, MsgType = alert.MsgType.ToString(),
            CapStatus = alert.Status.ToString(), Headline = headline, CapXml = CapXml.Write(alert), State = AlertRecord.Draft,
            Author = command.Actor, Editors = [command.Actor],
        };
        command.Db.Alerts.Add(row);
        await command.SaveAsync();
        await command.RecordAsync(incidentId, new AlertDrafted(
            row.Id, alert.Identifier, alert.MsgType.ToString(), alert.Status.ToString(), headline, threadRootId,
            alert.References.Select(r => r.ToString()).ToArray()));
        return (row.Id, CapValidator.Validate(alert));
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

    private static async Task<bool> IsDrillAsync(CommandTransaction command, int incidentId) =>
        await command.Db.Incidents.Where(i => i.Id == incidentId).Select(i => (bool?)i.IsDrill).SingleOrDefaultAsync(command.CancellationToken)
        ?? throw new AlertInputException($"There is no incident {incidentId}.");

    private static AlertInputException NotFound(int alertId) => new($"There is no alert {alertId}.");
}
