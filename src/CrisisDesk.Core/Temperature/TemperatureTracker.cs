namespace CrisisDesk.Core.Temperature;

/// <summary>Tuning of <see cref="TemperatureTracker{TKey}"/>.</summary>
public sealed record TemperatureOptions
{
    /// <summary>Span of the exponentially weighted baseline, in minutes (alpha = 2 / (span + 1)).</summary>
    public int BaselineMinutes { get; init; } = 15;

    /// <summary>No spike is called before a key has this many closed minutes of history.</summary>
    public int WarmUpMinutes { get; init; } = 5;

    /// <summary>A minute is a spike when it is this many standard deviations above the baseline mean...</summary>
    public double ZThreshold { get; init; } = 3.0;

    /// <summary>...and holds at least this many posts (three posts after silence is not an incident).</summary>
    public int MinSpikeCount { get; init; } = 10;

    /// <summary>Closed minutes kept per key for charts.</summary>
    public int HistoryMinutes { get; init; } = 60;

    /// <summary>A key with no posts for this many minutes is forgotten (bounded memory over many stories).</summary>
    public int ForgetAfterIdleMinutes { get; init; } = 120;

    internal void Validate()
    {
        if (BaselineMinutes < 1 || WarmUpMinutes < 0 || MinSpikeCount < 1 || HistoryMinutes < 1 || ForgetAfterIdleMinutes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BaselineMinutes), "Minute counts must be positive.");
        }

        if (ZThreshold <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ZThreshold), ZThreshold, "The z-score threshold must be positive.");
        }
    }
}

/// <summary>Posts in one whole minute (UTC, starting at <paramref name="Minute"/>).</summary>
public readonly record struct MinuteVolume(DateTimeOffset Minute, int Count);

/// <summary>A minute whose volume stands out against the key's trailing baseline.</summary>
public sealed record SpikeAlert<TKey>(TKey Key, DateTimeOffset Minute, int Count, double BaselineMean, double BaselineStdDev, double ZScore);

/// <summary>
/// Volume per minute per key (a source, a story) and spike detection against a trailing baseline, fed one post at a
/// time in time order.
/// </summary>
/// <remarks>
/// The baseline is an exponentially weighted mean and variance of the key's closed minutes, silent minutes counted as
/// zero; a key first seen after the warm-up is taken to have been silent before. The minute in progress is tested on every post, so a spike is called as soon as it is one, once per minute.
/// The deviation is floored at sqrt(max(mean, 1)) — the spread of a Poisson count — so that a flat baseline does not
/// turn one extra post into an infinite z-score. Posts older than the minute in progress only add to the chart history.
/// Not thread-safe.
/// </remarks>
public sealed class TemperatureTracker<TKey>
    where TKey : notnull
{
    private readonly TemperatureOptions _options;
    private readonly double _alpha;
    private readonly Dictionary<TKey, KeyState> _keys = new();
    private long _currentMinute = long.MinValue;
    private long _closedMinutes;

    public TemperatureTracker(TemperatureOptions? options = null)
    {
        _options = options ?? new TemperatureOptions();
        _options.Validate();
        _alpha = 2.0 / (_options.BaselineMinutes + 1);
    }

    public int KeyCount => _keys.Count;

    /// <summary>Counts <paramref name="count"/> posts for <paramref name="key"/> at <paramref name="time"/>; returns a spike alert the first time the minute qualifies.</summary>
    public SpikeAlert<TKey>? Record(TKey key, DateTimeOffset time, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var minute = MinuteOf(time);
        AdvanceTo(minute);

        if (!_keys.TryGetValue(key, out var state))
        {
            state = new KeyState(_options.HistoryMinutes);
            if (_closedMinutes >= _options.WarmUpMinutes)
            {
                // The tracker has been watching long enough to know this key was silent until now (a new story).
                state.SeedSilent(_options.WarmUpMinutes);
            }

            _keys[key] = state;
        }

        if (minute < _currentMinute)
        {
            state.AddLate(minute, _currentMinute, count);
            return null;
        }

        state.Current += count;
        state.LastActiveMinute = minute;
        if (state.AlertedThisMinute || state.ClosedMinutes < _options.WarmUpMinutes || state.Current < _options.MinSpikeCount)
        {
            return null;
        }

        var std = Math.Sqrt(Math.Max(state.Variance, Math.Max(state.Mean, 1.0)));
        var z = (state.Current - state.Mean) / std;
        if (z < _options.ZThreshold)
        {
            return null;
        }

        state.AlertedThisMinute = true;
        return new SpikeAlert<TKey>(key, MinuteStart(minute), state.Current, state.Mean, std, z);
    }

    /// <summary>Closes every minute before the one holding <paramref name="now"/>, so that quiet keys are charted as quiet.</summary>
    public void AdvanceTo(DateTimeOffset now) => AdvanceTo(MinuteOf(now));

    /// <summary>Closed minutes (oldest first, up to <see cref="TemperatureOptions.HistoryMinutes"/>) and then the minute in progress.</summary>
    public IReadOnlyList<MinuteVolume> Volumes(TKey key)
    {
        if (!_keys.TryGetValue(key, out var state))
        {
            return Array.Empty<MinuteVolume>();
        }

        var result = new List<MinuteVolume>(state.History.Length + 1);
        var first = _currentMinute - Math.Min(state.ClosedMinutes, state.History.Length);
        for (var m = first; m < _currentMinute; m++)
        {
            result.Add(new MinuteVolume(MinuteStart(m), state.History[Slot(m, state.History.Length)]));
        }

        result.Add(new MinuteVolume(MinuteStart(_currentMinute), state.Current));
        return result;
    }

    private void AdvanceTo(long minute)
    {
        if (_currentMinute == long.MinValue)
        {
            _currentMinute = minute;
            return;
        }

        // After a long gap every baseline has decayed to nothing anyway: close a bounded number of minutes.
        var steps = Math.Min(minute - _currentMinute, _options.HistoryMinutes + (10L * _options.BaselineMinutes));
        for (var i = 0; i < steps; i++)
        {
            CloseCurrentMinute();
            _currentMinute++;
            _closedMinutes++;
        }

        _currentMinute = Math.Max(_currentMinute, minute);
    }

    private void CloseCurrentMinute()
    {
        List<TKey>? idle = null;
        foreach (var (key, state) in _keys)
        {
            state.Close(_currentMinute, _alpha);
            if (_currentMinute - state.LastActiveMinute >= _options.ForgetAfterIdleMinutes)
            {
                (idle ??= new List<TKey>()).Add(key);
            }
        }

        if (idle is not null)
        {
            foreach (var key in idle)
            {
                _keys.Remove(key);
            }
        }
    }

    private static long MinuteOf(DateTimeOffset time)
    {
        var seconds = time.ToUnixTimeSeconds();
        return (seconds / 60) - (seconds % 60 < 0 ? 1 : 0);
    }

    private static DateTimeOffset MinuteStart(long minute) => DateTimeOffset.FromUnixTimeSeconds(minute * 60);

    private static int Slot(long minute, int length) => (int)(((minute % length) + length) % length);

    private sealed class KeyState(int historyMinutes)
    {
        public int[] History { get; } = new int[historyMinutes];

        public int Current { get; set; }

        public bool AlertedThisMinute { get; set; }

        public int ClosedMinutes { get; private set; }

        public long LastActiveMinute { get; set; } = long.MinValue;

        public double Mean { get; private set; }

        public double Variance { get; private set; }

        public void Close(long minute, double alpha)
        {
            // West's incremental EWMA mean and variance; the first minute seeds the mean.
            if (ClosedMinutes == 0)
            {
                Mean = Current;
                Variance = 0;
            }
            else
            {
                var diff = Current - Mean;
                var increment = alpha * diff;
                Mean += increment;
                Variance = (1 - alpha) * (Variance + (diff * increment));
            }

            History[Slot(minute, History.Length)] = Current;
            ClosedMinutes++;
            Current = 0;
            AlertedThisMinute = false;
        }

        public void SeedSilent(int minutes) => ClosedMinutes = minutes;

        public void AddLate(long minute, long currentMinute, int count)
        {
            if (currentMinute - minute <= Math.Min(ClosedMinutes, History.Length))
            {
                History[Slot(minute, History.Length)] += count;
            }
        }
    }
}
