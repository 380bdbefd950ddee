using CrisisDesk.Core.Classification;

namespace CrisisDesk.Core.Temperature;

/// <summary>Tuning of <see cref="MoodShiftTracker"/>.</summary>
public sealed record MoodShiftOptions
{
    /// <summary>Span of the exponentially weighted baseline share, in closed minutes that had posts.</summary>
    public int BaselineMinutes { get; init; } = 15;

    /// <summary>No shift is called before this many closed minutes with posts: the usual mood must be known first.</summary>
    public int WarmUpMinutes { get; init; } = 5;

    /// <summary>A minute must hold at least this many scored posts (a few angry posts in a quiet minute are not a shift).</summary>
    public int MinPosts { get; init; } = 10;

    /// <summary>The minute's negative share must stand this far above the baseline share (0.25 = 25 percentage points).</summary>
    public double MinRise { get; init; } = 0.25;

    internal void Validate()
    {
        if (BaselineMinutes < 1 || WarmUpMinutes < 0 || MinPosts < 1)
            throw new ArgumentOutOfRangeException(nameof(BaselineMinutes), "Minute and post counts must be positive.");
        if (MinRise is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(MinRise), MinRise, "The rise is a share between 0 and 1.");
    }
}

/// <summary>A minute in which the public mood turned: its share of negative posts against the usual share.</summary>
public sealed record MoodShift(DateTimeOffset Minute, int Posts, int Negative, double BaselineShare)
{
    public double NegativeShare => Posts == 0 ? 0 : (double)Negative / Posts;
}

/// <summary>
/// The mood-shift alert, beside the volume spike: the share of negative posts (VADER's band) per minute of event time
/// against an exponentially weighted baseline of the earlier minutes' shares, fed one scored post at a time in time
/// order. The minute in progress is tested on every post, so a shift is called as soon as it is one, once per minute.
/// Silent minutes do not move the baseline (a share of nothing is not a mood). Not thread-safe.
/// </summary>
public sealed class MoodShiftTracker
{
    private readonly MoodShiftOptions _options;
    private readonly double _alpha;
    private long _minute = long.MinValue;
    private int _posts;
    private int _negative;
    private bool _called;
    private double _baseline;
    private int _closedMinutes;

    public MoodShiftTracker(MoodShiftOptions? options = null)
    {
        _options = options ?? new MoodShiftOptions();
        _options.Validate();
        _alpha = 2.0 / (_options.BaselineMinutes + 1);
    }

    /// <summary>Counts one post with its sentiment (−1…+1) at <paramref name="time"/>; returns a shift the first time its minute qualifies.</summary>
    public MoodShift? Record(DateTimeOffset time, double sentiment)
    {
        var minute = time.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute < _minute)
            return null; // late: the minute it belongs to is closed
        if (minute > _minute)
        {
            Close();
            _minute = minute;
        }
        _posts++;
        if (VaderSentiment.Mood(sentiment) < 0)
            _negative++;
        if (_called || _closedMinutes < _options.WarmUpMinutes || _posts < _options.MinPosts)
            return null;
        var share = (double)_negative / _posts;
        if (share - _baseline < _options.MinRise)
            return null;
        _called = true;
        return new MoodShift(new DateTimeOffset(_minute * TimeSpan.TicksPerMinute, TimeSpan.Zero), _posts, _negative, _baseline);
    }

    private void Close()
    {
        if (_posts > 0)
        {
            var share = (double)_negative / _posts;
            _baseline = _closedMinutes == 0 ? share : _baseline + _alpha * (share - _baseline);
            _closedMinutes++;
        }
        (_posts, _negative, _called) = (0, 0, false);
    }
}
