namespace CrisisDesk.Core.Review;

/// <summary>
/// Posts per minute of arrival with running totals, so that "how many posts had arrived by T" costs a binary search
/// plus one count of the minute T falls in, however long the incident. Minutes from <see cref="CoveredUntil"/> on
/// (still filling while an incident is live) are not in it and must be counted afresh.
/// </summary>
public sealed class VolumeHistogram
{
    private readonly VolumeMinute[] _minutes;
    private readonly long[] _before;

    public VolumeHistogram(IEnumerable<VolumeMinute> minutes, DateTimeOffset coveredUntil)
    {
        _minutes = minutes.Where(m => m.Minute < coveredUntil).OrderBy(m => m.Minute).ToArray();
        _before = new long[_minutes.Length + 1];
        for (var i = 0; i < _minutes.Length; i++)
            _before[i + 1] = _before[i] + _minutes[i].Count;
        CoveredUntil = coveredUntil;
    }

    public IReadOnlyList<VolumeMinute> Minutes => _minutes;

    /// <summary>The histogram holds every post that arrived before this moment, and none after it.</summary>
    public DateTimeOffset CoveredUntil { get; }

    public long Total => _before[^1];

    /// <summary>Posts that arrived in whole minutes starting before <paramref name="minute"/> (a minute boundary).</summary>
    public long CountBefore(DateTimeOffset minute)
    {
        int lo = 0, hi = _minutes.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_minutes[mid].Minute < minute)
                lo = mid + 1;
            else
                hi = mid;
        }
        return _before[lo];
    }

    /// <summary>The start of the minute <paramref name="time"/> falls in.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
}
