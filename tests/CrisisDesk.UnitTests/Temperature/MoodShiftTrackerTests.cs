using CrisisDesk.Core.Temperature;

namespace CrisisDesk.UnitTests.Temperature;

public class MoodShiftTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2015, 3, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Feeds minutes of (posts, of which negative), the negatives spread evenly among the minute's posts.</summary>
    private static List<MoodShift> Feed(MoodShiftTracker tracker, int startMinute, params (int Posts, int Negative)[] minutes)
    {
        var shifts = new List<MoodShift>();
        for (var m = 0; m < minutes.Length; m++)
        {
            var (posts, negative) = minutes[m];
            for (var i = 0; i < posts; i++)
            {
                var isNegative = (i + 1) * negative / posts > i * negative / posts;
                var sentiment = isNegative ? -0.6 : (i % 2 == 0 ? 0.0 : 0.5);
                if (tracker.Record(T0.AddMinutes(startMinute + m).AddSeconds(i * 59.0 / posts), sentiment) is { } shift)
                    shifts.Add(shift);
            }
        }
        return shifts;
    }

    private static (int, int)[] Calm(int minutes) => [.. Enumerable.Repeat((20, 4), minutes)];

    [Fact]
    public void A_minute_turning_negative_after_a_calm_baseline_is_called_once_with_its_figures()
    {
        var tracker = new MoodShiftTracker();
        var shifts = Feed(tracker, 0, [.. Calm(10), (20, 15), (20, 16)]);

        Assert.Equal(2, shifts.Count); // the turning minute and the next: each minute once
        var first = shifts[0];
        Assert.Equal(T0.AddMinutes(10), first.Minute);
        Assert.Equal(0.2, first.BaselineShare, 6);
        // Called as soon as the minute qualifies: ten posts in (the minimum), three in four of them negative.
        Assert.Equal(10, first.Posts);
        Assert.Equal(7, first.Negative);
        Assert.True(first.NegativeShare - first.BaselineShare >= 0.25);
    }

    [Fact]
    public void A_steady_mood_a_small_rise_and_a_quiet_angry_minute_are_not_shifts()
    {
        var tracker = new MoodShiftTracker();
        Assert.Empty(Feed(tracker, 0, [.. Calm(10), (20, 8), (20, 4)])); // 40 % against 20 %: less than 25 points
        Assert.Empty(Feed(tracker, 12, (6, 6))); // six posts, all negative: too few to speak for a minute
    }

    [Fact]
    public void Nothing_is_called_before_the_usual_mood_is_known()
    {
        var tracker = new MoodShiftTracker();
        Assert.Empty(Feed(tracker, 0, (20, 18), (20, 2), (20, 18), (20, 2), (20, 18)));
        // Five closed minutes now: the sixth can be compared with them (their baseline is near 50 %).
        Assert.Empty(Feed(tracker, 5, (20, 14)));
        Assert.Single(Feed(tracker, 6, (20, 20)));
    }

    [Fact]
    public void Silent_minutes_keep_the_baseline_and_late_posts_are_ignored()
    {
        var tracker = new MoodShiftTracker();
        Feed(tracker, 0, Calm(6));
        // Twenty silent minutes later, the baseline is still the calm one: an angry minute is a shift.
        Assert.Single(Feed(tracker, 26, (20, 19)));
        // A post of an earlier minute arriving now changes nothing.
        Assert.Null(tracker.Record(T0.AddMinutes(3), -0.9));
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MoodShiftTracker(new MoodShiftOptions { MinRise = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MoodShiftTracker(new MoodShiftOptions { MinPosts = 0 }));
    }
}
