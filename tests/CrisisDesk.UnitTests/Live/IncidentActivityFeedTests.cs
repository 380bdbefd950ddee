using CrisisDesk.Core.Live;

namespace CrisisDesk.UnitTests.Live;

public class IncidentActivityFeedTests
{
    private static IncidentActivity Activity(int incidentId, string action) =>
        new(incidentId, action, "alice", DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Subscribers_get_their_incidents_activity_in_order_and_nothing_else()
    {
        var feed = new IncidentActivityFeed();
        var received = new List<IncidentActivity>();
        var done = new TaskCompletionSource();
        using var subscription = feed.Subscribe(1, batch =>
        {
            lock (received)
            {
                received.AddRange(batch);
                if (received.Count == 3)
                    done.TrySetResult();
            }
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(20));

        feed.Publish(Activity(1, "post.flagged"));
        feed.Publish(Activity(2, "rumour.created"));
        feed.Publish(Activity(1, "rumour.created"));
        feed.Publish(Activity(1, "rumour.status-changed"));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["post.flagged", "rumour.created", "rumour.status-changed"], received.Select(a => a.Action));
        Assert.All(received, a => Assert.Equal(1, a.IncidentId));
    }

    [Fact]
    public async Task A_disposed_subscription_receives_nothing_more()
    {
        var feed = new IncidentActivityFeed();
        var calls = 0;
        var subscription = feed.Subscribe(1, _ => { Interlocked.Increment(ref calls); return Task.CompletedTask; }, TimeSpan.Zero);
        subscription.Dispose();

        feed.Publish(Activity(1, "post.flagged"));
        // A published item would be delivered on the next turn of the thread pool; give it several.
        for (var i = 0; i < 10; i++)
            await Task.Yield();

        Assert.Equal(0, feed.SubscriberCount);
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task A_failing_subscriber_does_not_stop_the_others()
    {
        var feed = new IncidentActivityFeed();
        var delivered = new TaskCompletionSource<IReadOnlyList<IncidentActivity>>();
        using var bad = feed.Subscribe(1, _ => throw new InvalidOperationException("circuit gone"), TimeSpan.Zero);
        using var good = feed.Subscribe(1, batch => { delivered.TrySetResult(batch); return Task.CompletedTask; }, TimeSpan.Zero);

        feed.Publish(Activity(1, "post.reviewed"));

        var batch = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("post.reviewed", Assert.Single(batch).Action);
    }
}
