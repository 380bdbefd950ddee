using CrisisDesk.Core.Posts;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// The per-minute volume a war room charts: loaded once, then advanced by each live update, always the last
/// <see cref="WarRoomQueries.VolumeMinutes"/> minutes of event time with empty minutes filled in.
/// </summary>
public sealed class VolumeSeries
{
    private readonly SortedDictionary<DateTime, int> _counts = [];

    public VolumeSeries(IEnumerable<MinuteVolume> initial)
    {
        foreach (var minute in initial)
            _counts[Truncate(minute.Minute)] = minute.Count;
    }

    public void Add(IEnumerable<StoredPost> posts)
    {
        foreach (var post in posts)
        {
            var minute = Truncate(post.Post.CreatedAt.UtcDateTime);
            _counts[minute] = _counts.GetValueOrDefault(minute) + 1;
        }
        if (_counts.Count == 0)
            return;
        var cutoff = _counts.Keys.Last().AddMinutes(-WarRoomQueries.VolumeMinutes + 1);
        foreach (var old in _counts.Keys.Where(m => m < cutoff).ToList())
            _counts.Remove(old);
    }

    /// <summary>Every minute of the window, oldest first, zeros included so that bars keep their place.</summary>
    public IReadOnlyList<MinuteVolume> Minutes()
    {
        if (_counts.Count == 0)
            return [];
        var last = _counts.Keys.Last();
        var first = last.AddMinutes(-WarRoomQueries.VolumeMinutes + 1);
        var minutes = new List<MinuteVolume>(WarRoomQueries.VolumeMinutes);
        for (var minute = first; minute <= last; minute = minute.AddMinutes(1))
            minutes.Add(new MinuteVolume(minute, _counts.GetValueOrDefault(minute)));
        return minutes;
    }

    private static DateTime Truncate(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
    }
}
