using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Connectors;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class ReconnectBackoffTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    // No jitter (random 0) to see the shape; the defaults are X's published guidance.
    private static ReconnectBackoff Backoff() => new(new StreamTimings(), () => 0);

    [Fact]
    public void Network_errors_back_off_linearly_by_250_ms_up_to_16_s()
    {
        var backoff = Backoff();
        var delays = Enumerable.Range(0, 70).Select(_ => backoff.AfterFailure(StreamFailureKind.Network, Now, null, "reset").Delay).ToList();
        Assert.Equal(TimeSpan.FromMilliseconds(250), delays[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(500), delays[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(750), delays[2]);
        Assert.Equal(TimeSpan.FromSeconds(16), delays[^1]);
    }

    [Fact]
    public void Http_errors_back_off_exponentially_from_5_s_up_to_320_s()
    {
        var backoff = Backoff();
        var delays = Enumerable.Range(0, 10).Select(_ => backoff.AfterFailure(StreamFailureKind.Http, Now, null, "503").Delay.TotalSeconds).ToList();
        Assert.Equal([5, 10, 20, 40, 80, 160, 320, 320, 320, 320], delays);
    }

    [Fact]
    public void Rate_limits_wait_from_one_minute_doubling_and_never_before_the_reset_time()
    {
        var backoff = Backoff();
        var first = backoff.AfterFailure(StreamFailureKind.RateLimited, Now, Now.AddSeconds(10), "429");
        Assert.Equal((SourceState.RateLimited, TimeSpan.FromMinutes(1)), (first.State, first.Delay));
        Assert.Equal(TimeSpan.FromMinutes(2), backoff.AfterFailure(StreamFailureKind.RateLimited, Now, null, "429").Delay);
        var late = backoff.AfterFailure(StreamFailureKind.RateLimited, Now, Now.AddMinutes(14), "429");
        Assert.Equal(Now.AddMinutes(14), late.Until);
    }

    [Fact]
    public void Data_resets_every_back_off_and_a_drop_reconnects_at_once()
    {
        var backoff = Backoff();
        backoff.AfterFailure(StreamFailureKind.Http, Now, null, "503");
        backoff.AfterFailure(StreamFailureKind.Http, Now, null, "503");
        var drop = backoff.AfterDrop(Now, "reset");
        Assert.Equal((TimeSpan.Zero, SourceState.Reconnecting), (drop.Delay, drop.State));
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.AfterFailure(StreamFailureKind.Http, Now, null, "503").Delay);
    }

    [Fact]
    public void Jitter_only_lengthens_a_wait_by_at_most_a_tenth()
    {
        var backoff = new ReconnectBackoff(new StreamTimings(), () => 0.999);
        var delay = backoff.AfterFailure(StreamFailureKind.Http, Now, null, "503").Delay;
        Assert.InRange(delay, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.5));
    }

    [Fact]
    public void Keywords_match_ignoring_case_and_no_keywords_match_all()
    {
        var filter = new KeywordFilter(["flood", " #A38 ", ""]);
        Assert.True(filter.Matches("FLOODING on the road"));
        Assert.True(filter.Matches("queue on the #a38"));
        Assert.False(filter.Matches("sunny day"));
        Assert.False(filter.Matches(null));
        Assert.True(new KeywordFilter([]).Matches("anything"));
    }
}
