using System.Globalization;
using System.Net;
using System.Text;

namespace CrisisDesk.Core.Review;

/// <summary>Posts arrived in one minute.</summary>
public sealed record VolumeMinute(DateTimeOffset Minute, int Count);

/// <summary>A bar of the volume chart, in chart coordinates.</summary>
public sealed record ChartBar(double X, double Y, double Width, double Height, VolumeMinute Minute);

/// <summary>An operator action on the lane under the chart, in chart coordinates.</summary>
public sealed record ChartMarker(double X, double Y, ReviewEvent Event);

/// <summary>
/// The volume chart with its lane of operator actions, laid out once so that the interactive replay (which makes
/// markers clickable) and the exported report (inline SVG) draw the same picture.
/// </summary>
public sealed class TimelineChart
{
    public const double Width = 720;
    public const double BarsHeight = 160;
    public const double LaneHeight = 28;
    public const double Height = BarsHeight + LaneHeight + 18;
    public const int MaxBars = 240;

    public TimelineChart(IReadOnlyList<VolumeMinute> minutes, IReadOnlyList<ReviewEvent> actions, DateTimeOffset from, DateTimeOffset to)
    {
        From = from;
        To = to > from ? to : from.AddMinutes(1);
        // Long incidents are drawn in buckets of whole minutes, at most MaxBars of them, so a bar stays visible.
        var spanMinutes = Math.Max(1, (To - From).TotalMinutes);
        BucketMinutes = (int)Math.Max(1, Math.Ceiling(spanMinutes / MaxBars));
        var buckets = minutes.Where(m => m.Minute >= From.AddMinutes(-BucketMinutes) && m.Minute <= To)
            .GroupBy(m => (long)Math.Floor((m.Minute - From).TotalMinutes / BucketMinutes))
            .Select(g => new VolumeMinute(From.AddMinutes(g.Key * BucketMinutes), g.Sum(m => m.Count)))
            .ToList();
        MaxCount = buckets.Count == 0 ? 0 : buckets.Max(m => m.Count);
        var barWidth = Math.Max(1, Width * BucketMinutes / spanMinutes - 1);
        Bars = buckets.Select(m =>
            {
                var height = MaxCount == 0 ? 0 : BarsHeight * m.Count / MaxCount;
                return new ChartBar(XOf(m.Minute), BarsHeight - height, barWidth, height, m);
            }).ToList();
        Markers = actions.Where(a => a.At >= From && a.At <= To).Select(a => new ChartMarker(XOf(a.At), BarsHeight + LaneHeight / 2, a)).ToList();
    }

    public DateTimeOffset From { get; }

    public DateTimeOffset To { get; }

    /// <summary>The largest bar: posts in one bucket.</summary>
    public int MaxCount { get; }

    /// <summary>Minutes per bar.</summary>
    public int BucketMinutes { get; }

    public IReadOnlyList<ChartBar> Bars { get; }

    public IReadOnlyList<ChartMarker> Markers { get; }

    public double XOf(DateTimeOffset time) => Math.Clamp((time - From).TotalSeconds / (To - From).TotalSeconds, 0, 1) * Width;

    public static string Label(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The chart as a standalone SVG element, every text encoded.</summary>
    public string ToSvg(string title)
    {
        static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{WebUtility.HtmlEncode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{N(Width)}\" height=\"{N(BarsHeight)}\" fill=\"#fafafa\"/>");
        foreach (var bar in Bars)
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{N(bar.X)}\" y=\"{N(bar.Y)}\" width=\"{N(bar.Width)}\" height=\"{N(bar.Height)}\" fill=\"#b3261e\"><title>{Label(bar.Minute.Minute)} UTC: {bar.Minute.Count} posts in {BucketMinutes} min</title></rect>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{N(BarsHeight + LaneHeight / 2)}\" x2=\"{N(Width)}\" y2=\"{N(BarsHeight + LaneHeight / 2)}\" stroke=\"#999\" stroke-width=\"1\"/>");
        foreach (var marker in Markers)
            svg.Append(CultureInfo.InvariantCulture,
                $"<circle cx=\"{N(marker.X)}\" cy=\"{N(marker.Y)}\" r=\"5\" fill=\"{ColourOf(marker.Event)}\"><title>{WebUtility.HtmlEncode(marker.Event.Describe())}</title></circle>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{N(Height - 4)}\" font-size=\"11\" font-family=\"sans-serif\">{Label(From)} UTC</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Width)}\" y=\"{N(Height - 4)}\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"end\">{Label(To)} UTC · peak {MaxCount} per {BucketMinutes} min</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>One colour per kind of action, so that flags, approvals and publications stand apart on the lane.</summary>
    public static string ColourOf(ReviewEvent e) => e.Noun switch
    {
        "post" or "rumour" => "#e8a317",
        "rebuttal" => "#2e7d32",
        "alert" or "delivery" => "#1565c0",
        "authorization" => "#6a1b9a",
        _ => "#555555",
    };
}
