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

    private readonly ThrottledIncidentFeed<StoredPost> _feed = new(MaxBufferedPerSubscriber, timeProvider);

    /// <summary>Number of open subscriptions (for health and benchmarks).</summary>
    public int SubscriberCount => _feed.SubscriberCount;

    /// <summary>
    /// Delivers the incident's new posts to <paramref name="onUpdate"/> at most once per <paramref name="throttle"/>,
    /// never concurrently with itself. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<LiveUpdate, Task> onUpdate, TimeSpan throttle) =>
        _feed.Subscribe(incidentId, (posts, overflowed) => onUpdate(new LiveUpdate(posts, overflowed)), throttle);

    /// <summary>Announces posts that are committed. Never blocks on subscribers.</summary>
    public void Publish(int incidentId, IReadOnlyList<StoredPost> posts) => _feed.Publish(incidentId, posts);
}
