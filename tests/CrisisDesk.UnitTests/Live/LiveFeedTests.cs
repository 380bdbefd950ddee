using System.Collections.Concurrent;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.UnitTests.Live;

public sealed class LiveFeedTests
{
    [Fact]
    public async Task A_subscriber_receives_its_incident_posts_in_order_and_not_others()
    {
        var feed = new LiveFeed();
        var received = new ConcurrentQueue<long>();
        var all = new TaskCompletionSource();
        using var subscription = feed.Subscribe(1, update =>
        {
            foreach (var post in update.Posts)
                received.Enqueue(post.Id);
            if (received.Count >= 5)
                all.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(20));

        feed.Publish(1, [Stored(1, 1), Stored(2, 1)]);
        feed.Publish(2, [Stored(3, 2)]);
        feed.Publish(1, [Stored(4, 1)]);
        feed.Publish(1, [Stored(5, 1), Stored(6, 1)]);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([1L, 2, 4, 5, 6], received);
    }

    [Fact]
    public async Task Deliveries_to_one_subscriber_never_overlap()
    {
        var feed = new LiveFeed();
        var inside = 0;
        var overlapped = false;
        var delivered = 0;
        var done = new TaskCompletionSource();
        using var subscription = feed.Subscribe(1, async update =>
        {
            if (Interlocked.Increment(ref inside) > 1)
                overlapped = true;
            await Task.Delay(5);
            Interlocked.Decrement(ref inside);
            if (Interlocked.Add(ref delivered, update.Posts.Count) == 200)
                done.TrySetResult();
        }, TimeSpan.Zero);

        for (var i = 0; i < 200; i++)
            feed.Publish(1, [Stored(i, 1)]);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(overlapped);
    }

    [Fact]
    public async Task A_disposed_subscription_receives_nothing_more()
    {
        var feed = new LiveFeed();
        var count = 0;
        var subscription = feed.Subscribe(1, update => { Interlocked.Add(ref count, update.Posts.Count); return Task.CompletedTask; }, TimeSpan.Zero);
        subscription.Dispose();

        feed.Publish(1, [Stored(1, 1)]);
        await Task.Delay(50);

        Assert.Equal(0, count);
        Assert.Equal(0, feed.SubscriberCount);
    }

    [Fact]
    public async Task A_subscriber_that_falls_far_behind_is_told_to_reload_instead_of_holding_everything()
    {
        var feed = new LiveFeed();
        var gate = new TaskCompletionSource();
        var updates = new ConcurrentQueue<LiveUpdate>();
        var second = new TaskCompletionSource();
        using var subscription = feed.Subscribe(1, async update =>
        {
            updates.Enqueue(update);
            if (updates.Count == 1)
                await gate.Task;
            else
                second.TrySetResult();
        }, TimeSpan.Zero);

        feed.Publish(1, [Stored(0, 1)]);
        await Task.Delay(50);
        feed.Publish(1, Enumerable.Range(1, LiveFeed.MaxBufferedPerSubscriber + 10).Select(i => Stored(i, 1)).ToList());
        gate.SetResult();
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var behind = updates.Last();
        Assert.True(behind.Overflowed);
        Assert.Equal(LiveFeed.MaxBufferedPerSubscriber, behind.Posts.Count);
    }

    [Fact]
    public async Task Edits_and_deletions_reach_the_subscriber_as_changes_beside_the_new_posts()
    {
        var feed = new LiveFeed();
        var updates = new ConcurrentQueue<LiveUpdate>();
        var both = new TaskCompletionSource();
        using var subscription = feed.Subscribe(1, update =>
        {
            updates.Enqueue(update);
            if (updates.Sum(u => u.Posts.Count) >= 2 && updates.Sum(u => u.Changes.Count) >= 2)
                both.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(20));

        feed.Publish(1, [Stored(10, 1)], [new PostChange(3, 1, PostChangeKind.Edited, "v2", DateTimeOffset.UtcNow)]);
        feed.Publish(2, [], [new PostChange(4, 2, PostChangeKind.Deleted, null, DateTimeOffset.UtcNow)]);
        feed.Publish(1, [Stored(11, 1)], [new PostChange(5, 1, PostChangeKind.Deleted, null, DateTimeOffset.UtcNow)]);
        await both.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([10L, 11], updates.SelectMany(u => u.Posts).Select(p => p.Id));
        Assert.Equal([(3L, PostChangeKind.Edited), (5L, PostChangeKind.Deleted)], updates.SelectMany(u => u.Changes).Select(c => (c.PostId, c.Kind)));
    }

    private static StoredPost Stored(long id, int incident) => new(id, incident, 1, DateTimeOffset.UtcNow,
        new Post { Platform = "x", ExternalId = id.ToString(System.Globalization.CultureInfo.InvariantCulture), CreatedAt = DateTimeOffset.UtcNow, Text = "t" });
}
