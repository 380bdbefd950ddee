namespace CrisisDesk.Core.Live;

/// <summary>
/// The machinery under <see cref="LiveFeed"/> and <see cref="IncidentActivityFeed"/>: per-incident subscriptions that
/// each buffer what was published (capped, so a stalled circuit cannot hold the server's memory) and deliver it at most
/// once per throttle, oldest first, never concurrently with themselves. Publishing never blocks on a subscriber.
/// </summary>
public sealed class ThrottledIncidentFeed<T>(int maxBufferedPerSubscriber, TimeProvider? timeProvider = null)
{
    private readonly int _maxBuffered = maxBufferedPerSubscriber;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private Subscription[] _subscriptions = [];

    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Delivers the incident's items to <paramref name="deliver"/>; its second argument is true when older items were
    /// dropped because the subscriber fell more than the buffer behind. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<IReadOnlyList<T>, bool, Task> deliver, TimeSpan throttle)
    {
        var subscription = new Subscription(this, incidentId, deliver, throttle);
        lock (_gate)
            _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    /// <summary>Like <see cref="Subscribe"/>, for every incident at once (an approvals badge counts across incidents).</summary>
    public IDisposable SubscribeAll(Func<IReadOnlyList<T>, bool, Task> deliver, TimeSpan throttle)
    {
        var subscription = new Subscription(this, null, deliver, throttle);
        lock (_gate)
            _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    public void Publish(int incidentId, IReadOnlyList<T> items)
    {
        if (items.Count == 0)
            return;
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.IncidentId is null || subscription.IncidentId == incidentId)
                subscription.Enqueue(items);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
            _subscriptions = _subscriptions.Where(s => s != subscription).ToArray();
    }

    private sealed class Subscription(ThrottledIncidentFeed<T> feed, int? incidentId, Func<IReadOnlyList<T>, bool, Task> deliver, TimeSpan throttle) : IDisposable
    {
        private readonly Lock _gate = new();
        private List<T> _pending = [];
        private bool _overflowed;
        private bool _scheduled;
        private bool _disposed;
        private long _lastDelivery;

        public int? IncidentId { get; } = incidentId;

        public void Enqueue(IReadOnlyList<T> items)
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                _pending.AddRange(items);
                if (_pending.Count > feed._maxBuffered)
                {
                    _pending.RemoveRange(0, _pending.Count - feed._maxBuffered);
                    _overflowed = true;
                }
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
            List<T> batch;
            bool overflowed;
            lock (_gate)
            {
                if (_disposed)
                    return;
                batch = _pending;
                overflowed = _overflowed;
                _pending = [];
                _overflowed = false;
            }
            try
            {
                await deliver(batch, overflowed).ConfigureAwait(false);
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
