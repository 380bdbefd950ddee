using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Live;

/// <summary>What a subscriber receives: the posts committed since its last delivery, oldest first.</summary>
/// <param name="Overflowed">True when the subscriber fell so far behind that older posts were dropped from this delivery: reload instead.</param>
public sealed record LiveUpdate(IReadOnlyList<StoredPost> Posts, bool Overflowed)
{
    /// <summary>Edits and deletions of posts stored earlier, committed since the last delivery, oldest first.</summary>
    public IReadOnlyList<PostChange> Changes { get; init; } = [];
}

/// <summary>
/// The one place committed posts are announced. The pipeline publishes each batch after its commit (a post is shown
/// only once it is durable); each war room holds a disposable, throttled subscription to one incident. Edits and
/// deletions of stored posts travel the same way (ids only: the war room reads what it shows from the database).
/// </summary>
public sealed class LiveFeed(TimeProvider? timeProvider = null)
{
    /// <summary>A subscriber's buffer is capped so that a stalled circuit cannot hold the server's memory.</summary>
    public const int MaxBufferedPerSubscriber = 20_000;

    private readonly ThrottledIncidentFeed<LiveItem> _feed = new(MaxBufferedPerSubscriber, timeProvider);

    /// <summary>Number of open subscriptions (for health and benchmarks).</summary>
    public int SubscriberCount => _feed.SubscriberCount;

    /// <summary>
    /// Delivers the incident's new posts to <paramref name="onUpdate"/> at most once per <paramref name="throttle"/>,
    /// never concurrently with itself. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<LiveUpdate, Task> onUpdate, TimeSpan throttle) =>
        _feed.Subscribe(incidentId, (items, overflowed) => onUpdate(Split(items, overflowed)), throttle);

    /// <summary>
    /// Delivers every incident's posts and changes (each carries its incident), as <see cref="Subscribe"/> does: the
    /// feed hub forwards them to other nodes and outside subscribers. Dispose to stop.
    /// </summary>
    public IDisposable SubscribeAll(Func<LiveUpdate, Task> onUpdate, TimeSpan throttle) =>
        _feed.SubscribeAll((items, overflowed) => onUpdate(Split(items, overflowed)), throttle);

    /// <summary>Announces posts that are committed. Never blocks on subscribers.</summary>
    public void Publish(int incidentId, IReadOnlyList<StoredPost> posts) => Publish(incidentId, posts, []);

    /// <summary>Announces committed posts and committed changes to earlier posts. Never blocks on subscribers.</summary>
    public void Publish(int incidentId, IReadOnlyList<StoredPost> posts, IReadOnlyList<PostChange> changes)
    {
        if (posts.Count + changes.Count == 0)
            return;
        var items = new LiveItem[posts.Count + changes.Count];
        for (var i = 0; i < posts.Count; i++)
            items[i] = new LiveItem(posts[i], null);
        for (var i = 0; i < changes.Count; i++)
            items[posts.Count + i] = new LiveItem(null, changes[i]);
        _feed.Publish(incidentId, items);
    }

    private static LiveUpdate Split(IReadOnlyList<LiveItem> items, bool overflowed)
    {
        var posts = new List<StoredPost>(items.Count);
        List<PostChange>? changes = null;
        foreach (var item in items)
        {
            if (item.Post is { } post)
                posts.Add(post);
            else if (item.Change is { } change)
                (changes ??= []).Add(change);
        }
        return new LiveUpdate(posts, overflowed) { Changes = changes ?? (IReadOnlyList<PostChange>)[] };
    }

    private readonly record struct LiveItem(StoredPost? Post, PostChange? Change);
}
