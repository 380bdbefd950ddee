using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.UnitTests.WarRoom;

/// <summary>The war room feed's counts, with the database played by an in-memory list of committed post ids.</summary>
public sealed class FeedCounterTests
{
    private readonly List<long> _committed = [];

    private Task<long> CountBetween(long afterId, long upToId) => Task.FromResult((long)_committed.Count(id => id > afterId && id <= upToId));

    private (long Count, long MaxId) Head() => (_committed.Count, _committed.Count == 0 ? 0 : _committed.Max());

    [Fact]
    public async Task A_batch_that_arrives_while_the_head_is_being_read_is_counted_after_it_once()
    {
        _committed.AddRange([1, 2, 3]);
        var counter = new FeedCounter();
        var headRead = new TaskCompletionSource<(long, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The war room opens: its head read is answered from a snapshot of posts 1-3 but is slow to come back.
        var reload = counter.InTurnAsync(async () =>
        {
            var snapshot = Head();
            reading.SetResult();
            await headRead.Task;
            counter.Reset(snapshot.Count, snapshot.MaxId);
        });
        await reading.Task;
        // Meanwhile post 4 commits and its live batch reaches the view.
        _committed.Add(4);
        var live = counter.InTurnAsync(async () => await counter.AddAsync(4, CountBetween));
        headRead.SetResult(default);
        await Task.WhenAll(reload, live);

        Assert.Equal(4, counter.Total);
        Assert.Equal(4, counter.AnchorId);
    }

    [Fact]
    public async Task A_batch_the_head_already_counted_is_not_counted_again()
    {
        _committed.AddRange([1, 2, 3, 4]);
        var counter = new FeedCounter();
        counter.Reset(Head().Count, Head().MaxId);

        Assert.Equal(0, await counter.AddAsync(4, CountBetween));
        Assert.Equal(4, counter.Total);
    }

    [Fact]
    public async Task Batches_of_two_sources_that_arrive_out_of_order_are_each_counted_once()
    {
        var counter = new FeedCounter();
        counter.Reset(0, 0);
        // Source A committed posts 1-3, then source B posts 4-5; B's batch reaches the view first.
        _committed.AddRange([1, 2, 3, 4, 5]);

        Assert.Equal(5, await counter.AddAsync(5, CountBetween));
        Assert.Equal(0, await counter.AddAsync(3, CountBetween));
        Assert.Equal(5, counter.Total);
        Assert.Equal(5, counter.AnchorId);
    }

    [Fact]
    public async Task Paused_new_posts_wait_and_the_anchor_stays_then_resume_shows_them()
    {
        _committed.AddRange([1, 2]);
        var counter = new FeedCounter();
        counter.Reset(Head().Count, Head().MaxId);
        counter.Pause();
        _committed.AddRange([3, 4, 5]);

        Assert.Equal(0, await counter.AddAsync(5, CountBetween));
        Assert.Equal((2L, 3L, 2L), (counter.Total, counter.Pending, counter.AnchorId));

        Assert.Equal(3, counter.Resume());
        Assert.Equal((5L, 0L, 5L, false), (counter.Total, counter.Pending, counter.AnchorId, counter.Paused));
    }

    [Fact]
    public async Task Operations_take_turns_in_the_order_they_were_asked()
    {
        var counter = new FeedCounter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();

        var first = counter.InTurnAsync(async () => { order.Add("first starts"); await release.Task; order.Add("first ends"); });
        var second = counter.InTurnAsync(() => { order.Add("second"); return Task.CompletedTask; });
        release.SetResult();
        await Task.WhenAll(first, second);

        Assert.Equal(["first starts", "first ends", "second"], order);
    }

    [Fact]
    public async Task A_failed_operation_gives_up_its_turn()
    {
        var counter = new FeedCounter();

        await Assert.ThrowsAsync<InvalidOperationException>(() => counter.InTurnAsync(() => throw new InvalidOperationException("database gone")));
        var ran = false;
        await counter.InTurnAsync(() => { ran = true; return Task.CompletedTask; });

        Assert.True(ran);
    }
}
