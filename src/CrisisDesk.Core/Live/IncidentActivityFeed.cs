namespace CrisisDesk.Core.Live;

/// <summary>
/// Something an operator (or the system on their behalf) did in an incident: a committed command, with the event's
/// sequence number when it was logged, or a change of presence or suggestions, which are not operator actions.
/// </summary>
/// <param name="Action">The event-log action (<c>rumour.status-changed</c>, <c>post.flagged</c>, …) or <c>presence.changed</c> / <c>rumour.suggested</c>.</param>
/// <param name="RumourId">The rumour it concerns, if any.</param>
/// <param name="PostIds">The posts it concerns, if any.</param>
/// <param name="Summary">One line for people ("alice moved rumour 3 to Investigating").</param>
public sealed record IncidentActivity(int IncidentId, string Action, string Actor, DateTimeOffset At, long? EventSeq = null,
    int? RumourId = null, IReadOnlyList<long>? PostIds = null, string? Summary = null);

/// <summary>
/// The one place committed operator actions are announced, next to <see cref="LiveFeed"/> and on the same pattern:
/// commands publish after their commit, and each open war room or rumour board holds a disposable, throttled
/// subscription to one incident, so every operator sees every other operator's actions within the throttle.
/// </summary>
public sealed class IncidentActivityFeed(TimeProvider? timeProvider = null)
{
    /// <summary>A subscriber's buffer is capped so that a stalled circuit cannot hold the server's memory.</summary>
    public const int MaxBufferedPerSubscriber = 2_000;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private Subscription[] _subscriptions = [];

    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Delivers the incident's activity to <paramref name="onActivity"/> at most once per <paramref name="throttle"/>,
    /// oldest first, never concurrently with itself. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<IReadOnlyList<IncidentActivity>, Task> onActivity, TimeSpan throttle)
    {
        var subscription = new Subscription(this, incidentId, onActivity, throttle);
        lock (_gate)
            _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    /// <summary>Announces an action that is committed. Never blocks on subscribers.</summary>
    public void Publish(IncidentActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.IncidentId == activity.IncidentId)
                subscription.Enqueue(activity);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
            _subscriptions = _subscriptions.Where(s => s != subscription).ToArray();
    }

    private sealed class Subscription(IncidentActivityFeed feed, int incidentId, Func<IReadOnlyList<IncidentActivity>, Task> onActivity, TimeSpan throttle) : IDisposable
    {
        private readonly Lock _gate = new();
        private List<IncidentActivity> _pending = [];
        private bool _scheduled;
        private bool _disposed;
        private long _lastDelivery;

        public int IncidentId { get; } = incidentId;

        public void Enqueue(IncidentActivity activity)
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                _pending.Add(activity);
                if (_pending.Count > MaxBufferedPerSubscriber)
                    _pending.RemoveRange(0, _pending.Count - MaxBufferedPerSubscriber);
                if (_scheduled)
                    return;
                _scheduled = true;
            }
            var wait = throttle - feed._time.GetElapsedTime(_lastDelivery);
            _ = DeliverAfterAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        }

        private async Task DeliverAfterAsync(TimeSpan wait)
        {
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, feed._time).ConfigureAwait(false);
            else
                await Task.Yield();
            List<IncidentActivity> batch;
            lock (_gate)
            {
                if (_disposed)
                    return;
                batch = _pending;
                _pending = [];
            }
            try
            {
                await onActivity(batch).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A subscriber's failure is its own (a circuit that went away mid-render): the feed and the others go on.
            }
            finally
            {
                _lastDelivery = feed._time.GetTimestamp();
                bool again;
                lock (_gate)
                {
                    again = _pending.Count > 0 && !_disposed;
                    _scheduled = again;
                }
                if (again)
                    _ = DeliverAfterAsync(throttle);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _pending = [];
            }
            feed.Remove(this);
        }
    }
}
