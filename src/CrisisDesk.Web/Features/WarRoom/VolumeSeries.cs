using CrisisDesk.Core.Posts;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// The per-minute volume a war room charts: read once, then advanced by each live update, always the last
/// <see cref="WarRoomQueries.VolumeMinutes"/> minutes of event time with empty minutes filled in.
/// </summary>
/// <param name="initial">The minutes as read.</param>
/// <param name="readUpToId">The newest post of the incident when they were read: the read counted every post up to it
/// (an incident's posts commit in id order) and none above it, so live posts up to it are not counted twice.</param>
public sealed class VolumeSeries(IEnumerable<VolumeChartMinute> initial, long readUpToId = 0)
{
    private readonly SortedDictionary<DateTime, int> _counts = new(initial.ToDictionary(m => Truncate(m.Minute), m => m.Count));

    /// <summary>Counts the posts the read did not; false when there were none.</summary>
    public bool Add(IEnumerable<StoredPost> posts)
    {
        var added = false;
        foreach (var post in posts)
        {
            if (post.Id <= readUpToId)
                continue;
            var minute = Truncate(post.Post.CreatedAt.UtcDateTime);
            _counts[minute] = _counts.GetValueOrDefault(minute) + 1;
            added = true;
        }
        if (!added)
            return false;
        var cutoff = _counts.Keys.Last().AddMinutes(-WarRoomQueries.VolumeMinutes + 1);
        foreach (var old in _counts.Keys.Where(m => m < cutoff).ToList())
            _counts.Remove(old);
        return true;
    }

    /// <summary>
    /// Every minute of the window, oldest first, zeros included so that bars keep their place. The window ends at
    /// <paramref name="now"/> (the incident's clock, <see cref="IncidentClock"/>) or, without it, at the latest post.
    /// </summary>
    public IReadOnlyList<VolumeChartMinute> Minutes(DateTime? now = null)
    {
        if (_counts.Count == 0)
            return [];
        var last = now is { } end ? Truncate(end) : _counts.Keys.Last();
        var first = last.AddMinutes(-WarRoomQueries.VolumeMinutes + 1);
        var minutes = new List<VolumeChartMinute>(WarRoomQueries.VolumeMinutes);
        for (var minute = first; minute <= last; minute = minute.AddMinutes(1))
            minutes.Add(new VolumeChartMinute(minute, _counts.GetValueOrDefault(minute)));
        return minutes;
    }

    private static DateTime Truncate(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
    }
}
