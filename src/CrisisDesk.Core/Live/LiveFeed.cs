using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Live;

/// <summary>What a subscriber receives: the posts committed since its last delivery, oldest first.</summary>
/// <param name="Overflowed">True when the subscriber fell so far behind that older posts were dropped from this delivery: reload instead.</param>
public sealed record LiveUpdate(IReadOnlyList<StoredPost> Posts, bool Overflowed);

/// <summary>
/// The one place committed posts are announced. The pipeline publishes each batch after its commit (a post is shown
/// only once it is durable); each war room holds a disposable, throttled subscription to one incident.
/// </summary>
public sealed class LiveFeed(TimeProvider? timeProvider = null)
{
    /// <summary>A subscriber's buffer is capped so that a stalled circuit cannot hold the server's memory.</summary>
    public const int MaxBufferedPerSubscriber = 20_000;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private Subscription[] _subscriptions = [];

    /// <summary>Number of open subscriptions (for health and benchmarks).</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <summary>
    /// Delivers the incident's new posts to <paramref name="onUpdate"/> at most once per <paramref name="throttle"/>,
    /// never concurrently with itself. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<LiveUpdate, Task> onUpdate, TimeSpan throttle)
    {
        var subscription = new Subscription(this, incidentId, onUpdate, throttle);
        lock (_gate)
            _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    /// <summary>Announces posts that are committed. Never blocks on subscribers.</summary>
    public void Publish(int incidentId, IReadOnlyList<StoredPost> posts)
    {
        if (posts.Count == 0)
            return;
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.IncidentId == incidentId)
                subscription.Enqueue(posts);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
            _subscriptions = _subscriptions.Where(s => s != subscription).ToArray();
    }

    private sealed class Subscription(LiveFeed feed, int incidentId, Func<LiveUpdate, Task> onUpdate, TimeSpan throttle) : IDisposable
    {
        private readonly Lock _gate = new();
        private List<StoredPost> _pending = [];
        private bool _overflowed;
        private bool _scheduled;
        private bool _disposed;
        private long _lastDelivery;

        public int IncidentId { get; } = incidentId;

        public void Enqueue(IReadOnlyList<StoredPost> posts)
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                _pending.AddRange(posts);
                if (_pending.Count > MaxBufferedPerSubscriber)
                {
                    _pending.RemoveRange(0, _pending.Count - MaxBufferedPerSubscriber);
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
            List<StoredPost> posts;
            bool overflowed;
            lock (_gate)
            {
                if (_disposed)
                    return;
                posts = _pending;
                overflowed = _overflowed;
                _pending = [];
                _overflowed = false;
            }
            try
            {
                await onUpdate(new LiveUpdate(posts, overflowed)).ConfigureAwait(false);
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
