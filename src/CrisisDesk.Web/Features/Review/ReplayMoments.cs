using System.Globalization;
using CrisisDesk.Core.Review;

namespace CrisisDesk.Web.Features.Review;

/// <summary>The replay's chart series and its "show me 14:32" jump, kept apart from the page so they can be tested alone.</summary>
public static class ReplayMoments
{
    /// <summary>At most this many bars: enough to see the shape, few enough to read each.</summary>
    public const int MaxBars = 60;

    /// <summary>Posts per bucket from <paramref name="from"/> to <paramref name="to"/>, counting only minutes up to <paramref name="asOf"/> (what was seen then).</summary>
    public static (string[] Labels, double[] Counts, int BucketMinutes) Volume(IReadOnlyList<VolumeMinute> minutes, DateTimeOffset from, DateTimeOffset to, DateTimeOffset asOf)
    {
        var span = Math.Max(1, (to - from).TotalMinutes);
        var bucketMinutes = (int)Math.Max(1, Math.Ceiling(span / MaxBars));
        var buckets = (int)Math.Max(1, Math.Ceiling(span / bucketMinutes));
        var counts = new double[buckets];
        foreach (var minute in minutes)
        {
            if (minute.Minute > asOf || minute.Minute < from.AddMinutes(-1))
                continue;
            var index = (int)Math.Clamp(Math.Floor((minute.Minute - from).TotalMinutes / bucketMinutes), 0, buckets - 1);
            counts[index] += minute.Count;
        }
        var labels = Enumerable.Range(0, buckets)
            .Select(i => from.AddMinutes(i * bucketMinutes).UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture))
            .ToArray();
        return (labels, counts, bucketMinutes);
    }

    /// <summary>
    /// The moment a person means by "14:32" (or "14:32:10", or a full date and time) within the replay: the first time
    /// of day at or after the start that matches, or null when the text is not a time or falls outside the incident.
    /// </summary>
    public static DateTimeOffset? Parse(string? text, DateTimeOffset start, DateTimeOffset end)
    {
        text = text?.Trim().Replace(" UTC", "", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(text))
            return null;
        if (TimeSpan.TryParseExact(text, ["h\\:mm", "hh\\:mm", "h\\:mm\\:ss", "hh\\:mm\\:ss"], CultureInfo.InvariantCulture, out var clock) && clock < TimeSpan.FromDays(1))
        {
            for (var day = start.UtcDateTime.Date; day <= end.UtcDateTime.Date; day = day.AddDays(1))
            {
                var candidate = new DateTimeOffset(day + clock, TimeSpan.Zero);
                if (candidate >= start.AddMinutes(-1) && candidate <= end)
                    return candidate < start ? start : candidate;
            }
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && at >= start && at <= end)
            return at;
        return null;
    }
}
