using CrisisDesk.Core.Temperature;

namespace CrisisDesk.UnitTests.Temperature;

public class TemperatureTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2015, 3, 24, 10, 0, 0, TimeSpan.Zero);

    // A steady series around 10 posts a minute, the same on every run.
    private static readonly int[] Steady = [9, 11, 10, 8, 12, 10, 9, 11, 10, 12, 8, 10, 11, 9, 10, 10, 12, 9, 11, 10];

    private static List<SpikeAlert<string>> Feed(TemperatureTracker<string> tracker, string key, int startMinute, IEnumerable<int> perMinute)
    {
        var alerts = new List<SpikeAlert<string>>();
        var minute = startMinute;
        foreach (var count in perMinute)
        {
            for (var i = 0; i < count; i++)
            {
                // Spread the posts over the minute.
                var alert = tracker.Record(key, T0.AddMinutes(minute).AddSeconds(i * 59.0 / Math.Max(count, 1)));
                if (alert is not null)
                {
                    alerts.Add(alert);
                }
            }

            minute++;
        }

        return alerts;
    }

    [Fact]
    public void A_steady_series_raises_no_spike()
    {
        var tracker = new TemperatureTracker<string>();

        Assert.Empty(Feed(tracker, "x", 0, Steady.Concat(Steady).Concat(Steady)));
    }

    [Fact]
    public void A_burst_above_the_baseline_is_a_spike_called_once_as_soon_as_it_qualifies()
    {
        var tracker = new TemperatureTracker<string>();
        Feed(tracker, "x", 0, Steady);

        var alerts = Feed(tracker, "x", Steady.Length, [60]);

        var alert = Assert.Single(alerts);
        Assert.Equal("x", alert.Key);
        Assert.Equal(T0.AddMinutes(Steady.Length), alert.Minute);
        Assert.InRange(alert.BaselineMean, 9, 11);
        Assert.True(alert.ZScore >= 3.0);
        // Called at the first post that crosses the line, long before the minute's 60 posts are in.
        Assert.InRange(alert.Count, 15, 25);
        Assert.True((alert.Count - 1 - alert.BaselineMean) / alert.BaselineStdDev < 3.0, "one post earlier was not yet a spike");
    }

    [Fact]
    public void A_slow_rise_moves_the_baseline_and_is_no_spike()
    {
        var tracker = new TemperatureTracker<string>();
        var ramp = Enumerable.Range(0, 90).Select(m => 10 + (m / 3));

        Assert.Empty(Feed(tracker, "x", 0, ramp));
    }

    [Fact]
    public void No_spike_during_warm_up_or_below_the_minimum_count()
    {
        var tracker = new TemperatureTracker<string>(new TemperatureOptions { WarmUpMinutes = 5, MinSpikeCount = 10 });

        // Minute 0..4: the baseline is still warming up, however sharp the rise.
        Assert.Empty(Feed(tracker, "x", 0, [0, 1, 0, 50, 0]));
        // Quiet baseline, then 6 posts: a large z-score but too few posts to matter.
        Assert.Empty(Feed(tracker, "x", 5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]));
    }

    [Fact]
    public void A_new_key_seen_after_warm_up_counts_as_silent_before_so_its_burst_is_a_spike()
    {
        var tracker = new TemperatureTracker<string>();
        Feed(tracker, "source", 0, Steady);

        var alerts = Feed(tracker, "story-42", Steady.Length, [12]);

        var alert = Assert.Single(alerts);
        Assert.Equal("story-42", alert.Key);
        Assert.Equal(10, alert.Count);
        Assert.Equal(0, alert.BaselineMean);
    }

    [Fact]
    public void Volumes_are_per_key_per_minute_with_silent_minutes_as_zero()
    {
        var tracker = new TemperatureTracker<string>();
        tracker.Record("bbc", T0.AddSeconds(5));
        tracker.Record("bbc", T0.AddSeconds(50));
        tracker.Record("cbc", T0.AddSeconds(51));
        tracker.Record("bbc", T0.AddMinutes(3).AddSeconds(1));
        tracker.Record("bbc", T0.AddMinutes(1).AddSeconds(1)); // late: charted, not re-judged

        Assert.Equal(
            new[] { new MinuteVolume(T0, 2), new MinuteVolume(T0.AddMinutes(1), 1), new MinuteVolume(T0.AddMinutes(2), 0), new MinuteVolume(T0.AddMinutes(3), 1) },
            tracker.Volumes("bbc"));
        Assert.Equal(new[] { 1, 0, 0, 0 }, tracker.Volumes("cbc").Select(v => v.Count));
        Assert.Empty(tracker.Volumes("nobody"));
    }

    [Fact]
    public void Idle_keys_are_forgotten_and_history_is_bounded()
    {
        var tracker = new TemperatureTracker<string>(new TemperatureOptions { ForgetAfterIdleMinutes = 30, HistoryMinutes = 10 });
        tracker.Record("old-story", T0);
        for (var m = 1; m <= 40; m++)
        {
            tracker.Record("live", T0.AddMinutes(m));
        }

        Assert.Equal(1, tracker.KeyCount);
        Assert.Empty(tracker.Volumes("old-story"));
        Assert.Equal(11, tracker.Volumes("live").Count);
    }

    [Fact]
    public void Bad_options_and_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemperatureTracker<string>(new TemperatureOptions { ZThreshold = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemperatureTracker<string>().Record("x", T0, 0));
    }
}
