using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>
/// Reads the event log from where it stopped and tells people what concerns them: a rumour at or above their severity,
/// something waiting for their approval, a delivery that failed or was abandoned, a source stopped. The cursor moves in
/// the same transaction that writes the notifications and queues their email and SMS, so a crash repeats nothing and
/// loses nothing; the cursor row is locked, so two nodes never read the same events at once. Everything runs on the
/// one DbContext's connection and transaction: the event log read through <see cref="EventLogReader"/> (raw SQL, in
/// batches), the cursor locked through <see cref="NotificationLocks"/>, the domain rows it names and the notifications
/// it writes through EF Core.
/// </summary>
public sealed class EventNotifier(
    IDbContextFactory<CrisisDeskDbContext> contexts,
    NotificationFanOut fanOut,
    NotificationHub hub,
    ClusterSignals signals,
    DeliverySignal deliveries,
    IncidentActivityFeed activity,
    IOptions<NotificationOptions> options,
    ILogger<EventNotifier> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private readonly SemaphoreSlim _wake = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every action reaches the activity feed after its commit: wake then, instead of at the next poll.
        using var subscription = activity.SubscribeAll(_ => { Wake(); return Task.CompletedTask; }, TimeSpan.FromMilliseconds(100));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) > 0)
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The cursor did not move: the same events are read again next time.
                logger.LogError(e, "Notifying people failed; will read the same events again");
            }
            try
            {
                await _wake.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    /// <summary>Reads one batch of events past the cursor and notifies; returns how many events it read.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false; // a failed batch rolls back whole; the cursor did not move
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The cursor row is locked so two nodes take turns; the events past it are read in the same transaction.
        var last = await NotificationLocks.LockNotifierCursorAsync(db, cancellationToken);
        var events = await EventLogReader.AfterAsync(db, last, BatchSize, cancellationToken);
        if (events.Count == 0)
            return 0;
        var told = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queued = 0;
        foreach (var e in events)
        {
            if (e.IncidentId is not { } incidentId)
                continue;
            using var document = JsonDocument.Parse(e.PayloadJson);
            if (EventContract.TryDeserialize(e.Action, document.RootElement) is not { } payload)
                continue;
            var trigger = await TriggerForAsync(db, e, incidentId, payload, cancellationToken);
            if (trigger is null)
                continue;
            var result = await fanOut.RaiseAsync(db, trigger, cancellationToken);
            told.UnionWith(result.InAppUsers);
            queued += result.QueuedDeliveries;
        }
        var seq = events[^1].Seq;
        await db.NotifierCursor.ExecuteUpdateAsync(s => s.SetProperty(c => c.LastSeq, seq), cancellationToken);
        await signals.AnnounceInboxAsync(db, told, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (told.Count > 0)
            hub.Changed(told);
        if (queued > 0)
            deliveries.Notify();
        return events.Count;
    }

    private static async Task<NotificationTrigger?> TriggerForAsync(CrisisDeskDbContext db, EventRecord e, int incidentId,
        EventPayload payload, CancellationToken cancellationToken)
    {
        var key = $"event:{e.Seq}";
        switch (payload)
        {
            case RumourCreated r:
                return new NotificationTrigger(NotificationKinds.Rumour, incidentId, key,
                    $"New {r.Severity.ToLowerInvariant()} rumour: {Shorten(r.Claim, 80)}",
                    $"{e.Actor} flagged a {r.Severity} rumour in {await IncidentNameAsync(db, incidentId, cancellationToken)}: \"{r.Claim}\".",
                    $"/incidents/{incidentId}/rumours/{r.RumourId}",
                    Urgent: r.Severity == "Critical", Severity: r.Severity, MinimumRole: Roles.Viewer, NotFor: e.Actor);
            case AlertSubmitted a:
            {
                var xml = await db.Alerts.AsNoTracking().Where(x => x.Id == a.AlertId).Select(x => (string?)x.CapXml).SingleOrDefaultAsync(cancellationToken);
                var alert = xml is null ? null : CapXml.Read(xml);
                var info = alert?.Infos.FirstOrDefault();
                var urgent = info is not null && (info.Severity == CapSeverity.Extreme || info.Urgency == CapUrgency.Immediate);
                var headline = info?.Headline ?? info?.Event ?? a.Identifier;
                return new NotificationTrigger(NotificationKinds.Approval, incidentId, key,
                    $"Alert waiting for your approval: {Shorten(headline, 80)}",
                    $"{e.Actor} submitted the alert \"{headline}\"{(info is null ? "" : $" ({info.Severity}, {info.Urgency})")} in {await IncidentNameAsync(db, incidentId, cancellationToken)}. It waits for someone else to approve it.",
                    $"/incidents/{incidentId}/alerts/{a.AlertId}", Urgent: urgent, MinimumRole: Roles.Approver, NotFor: e.Actor);
            }
            case RebuttalSubmitted b:
            {
                var title = await db.Rebuttals.AsNoTracking().Where(x => x.Id == b.RebuttalId).Select(x => (string?)x.Title).SingleOrDefaultAsync(cancellationToken)
                            ?? $"rebuttal {b.RebuttalId}";
                return new NotificationTrigger(NotificationKinds.Approval, incidentId, key,
                    $"Rebuttal waiting for your approval: {Shorten(title, 80)}",
                    $"{e.Actor} submitted the rebuttal \"{title}\" (version {b.Version}) in {await IncidentNameAsync(db, incidentId, cancellationToken)}. It waits for someone else to approve it.",
                    $"/incidents/{incidentId}/rebuttals/{b.RebuttalId}", MinimumRole: Roles.Approver, NotFor: e.Actor);
            }
            // A failed notification is not news about itself (no loop): only alerts' and rebuttals' deliveries count.
            case DeliveryFailed f when f.AlertId is not null || f.RebuttalId is not null:
                return new NotificationTrigger(NotificationKinds.Delivery, incidentId, key,
                    $"{ChannelNames.Label(f.Channel)} delivery failed",
                    $"The {(f.AlertId is not null ? "alert" : "rebuttal")} did not reach {ChannelNames.Label(f.Channel)} after {f.Attempts} dispatch(es): {f.Error}. Retry it or abandon it.",
                    f.AlertId is { } alertId ? $"/incidents/{incidentId}/alerts/{alertId}" : $"/incidents/{incidentId}/rebuttals/{f.RebuttalId}",
                    MinimumRole: Roles.Operator);
            case DeliveryAbandoned d:
            {
                var subject = await db.Deliveries.AsNoTracking().Where(x => x.Id == d.DeliveryId)
                    .Select(x => new { x.AlertId, x.RebuttalId }).SingleOrDefaultAsync(cancellationToken);
                if (subject is null || (subject.AlertId is null && subject.RebuttalId is null))
                    return null;
                return new NotificationTrigger(NotificationKinds.Delivery, incidentId, key,
                    $"{ChannelNames.Label(d.Channel)} delivery abandoned",
                    $"{e.Actor} gave up the {(subject.AlertId is not null ? "alert" : "rebuttal")}'s delivery to {ChannelNames.Label(d.Channel)}: it will not be sent.",
                    subject.AlertId is { } abandonedAlert ? $"/incidents/{incidentId}/alerts/{abandonedAlert}" : $"/incidents/{incidentId}/rebuttals/{subject.RebuttalId}",
                    MinimumRole: Roles.Operator, NotFor: e.Actor);
            }
            case SourceStopped s:
                return new NotificationTrigger(NotificationKinds.Source, incidentId, key,
                    $"Source stopped: {Shorten(s.Name, 80)}",
                    $"{e.Actor} stopped the {s.Kind} source \"{s.Name}\": no more posts come from it until it is started again.",
                    $"/incidents/{incidentId}/sources", MinimumRole: Roles.Viewer, NotFor: e.Actor);
            default:
                return null;
        }
    }

    private static async Task<string> IncidentNameAsync(CrisisDeskDbContext db, int incidentId, CancellationToken cancellationToken) =>
        (await db.Incidents.AsNoTracking().Where(i => i.Id == incidentId).Select(i => i.Name).SingleOrDefaultAsync(cancellationToken))!;

    internal static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
