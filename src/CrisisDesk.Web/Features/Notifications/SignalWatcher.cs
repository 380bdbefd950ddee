using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Data.Domain;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Triage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>
/// Tells people of what the event log does not hold: a spike in an open incident (the same detection as the war
/// room's banner, run here whether or not anyone has the page open) and a source that failed or is degraded.
/// Each is keyed by what it is (the spike's minute, the source's state change), so two nodes, or a restart, tell each
/// person once.
/// </summary>
public sealed class SignalWatcher(
    IDbContextFactory<CrisisDeskDbContext> contexts,
    IncidentTemperature temperature,
    SourceMonitor sources,
    NotificationFanOut fanOut,
    NotificationHub hub,
    ClusterSignals signals,
    DeliverySignal deliveries,
    IOptions<NotificationOptions> options,
    ILogger<SignalWatcher> logger) : BackgroundService
{
    private readonly Channel<NotificationTrigger> _raised = Channel.CreateBounded<NotificationTrigger>(
        new BoundedChannelOptions(1_000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<int, SourceState> _lastState = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        sources.Changed += OnSourceChanged;
        try
        {
            var nextSpikeCheck = DateTimeOffset.MinValue;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (DateTimeOffset.UtcNow >= nextSpikeCheck)
                    {
                        nextSpikeCheck = DateTimeOffset.UtcNow + options.Value.SpikeCheckInterval;
                        foreach (var trigger in await SpikesAsync(stoppingToken))
                            await RaiseAsync(trigger, stoppingToken);
                    }
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    wait.CancelAfter(options.Value.SpikeCheckInterval);
                    try
                    {
                        var trigger = await _raised.Reader.ReadAsync(wait.Token);
                        await RaiseAsync(trigger, stoppingToken);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Time for the next spike check.
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Watching for spikes and source failures failed; trying again");
                    await Task.Delay(options.Value.SpikeCheckInterval, stoppingToken);
                }
            }
        }
        finally
        {
            sources.Changed -= OnSourceChanged;
        }
    }

    private void OnSourceChanged(SourceStatus status)
    {
        // Counters move this many times a second: only a change of state is news.
        var previous = _lastState.GetValueOrDefault(status.SourceId, SourceState.Starting);
        _lastState[status.SourceId] = status.State;
        if (previous == status.State || status.State is not (SourceState.Failed or SourceState.Degraded))
            return;
        var what = status.State == SourceState.Failed ? "stopped after a failure" : "is degraded (falling behind or failing, and retrying)";
        _raised.Writer.TryWrite(new NotificationTrigger(NotificationKinds.Source, status.IncidentId,
            $"source:{status.SourceId}:{status.State}:{status.ChangedAt.ToUnixTimeSeconds()}",
            $"Source {(status.State == SourceState.Failed ? "failed" : "degraded")}: {EventNotifier.Shorten(status.Name, 80)}",
            $"The {status.Kind} source \"{status.Name}\" {what}{(status.Detail is { Length: > 0 } detail ? $": {detail}" : ".")}",
            $"/incidents/{status.IncidentId}/sources", MinimumRole: Roles.Viewer));
    }

    private async Task<IReadOnlyList<NotificationTrigger>> SpikesAsync(CancellationToken cancellationToken)
    {
        List<(int Id, string Name)> incidents;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            incidents = [.. (await db.Incidents.AsNoTracking().Where(i => i.ClosedAt == null).Select(i => new { i.Id, i.Name }).ToListAsync(cancellationToken))
                .Select(i => (i.Id, i.Name))];
        }
        var triggers = new List<NotificationTrigger>();
        foreach (var (id, name) in incidents)
        {
            var snapshot = await temperature.SnapshotAsync(id, cancellationToken);
            foreach (var spike in snapshot.ActiveSpikes)
            {
                triggers.Add(new NotificationTrigger(NotificationKinds.Spike, id,
                    $"spike:{spike.Kind}:{spike.Key}:{spike.Minute.ToUnixTimeSeconds()}",
                    $"Spike in {EventNotifier.Shorten(name, 60)}: {EventNotifier.Shorten(spike.Label, 60)}",
                    string.Create(CultureInfo.InvariantCulture,
                        $"{spike.Count} posts in the minute from {spike.Minute:HH:mm} UTC ({spike.Kind} \"{spike.Label}\"), against a usual {spike.BaselineMean:0.#} a minute."),
                    $"/incidents/{id}", MinimumRole: Roles.Viewer));
            }
        }
        return triggers;
    }

    /// <summary>Writes the notifications of one trigger and queues their email and SMS, in one transaction.</summary>
    public async Task RaiseAsync(NotificationTrigger trigger, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false; // all or nothing
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await fanOut.RaiseAsync(db, trigger, cancellationToken);
        await signals.AnnounceInboxAsync(db, result.InAppUsers, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (result.InAppUsers.Count > 0)
            hub.Changed(result.InAppUsers);
        if (result.QueuedDeliveries > 0)
            deliveries.Notify();
    }
}
