using System.ComponentModel.DataAnnotations;

namespace CrisisDesk.Web.Features.Drill;

/// <summary>The drill replay's pace: <c>CrisisDesk:Drill:Speed</c> times faster than the original, with long pauses capped.</summary>
public sealed class DrillOptions
{
    public const string Section = "CrisisDesk:Drill";

    /// <summary>How many times faster than real time the drill replays. The incident spans three days; at 600× the early hours flow in seconds.</summary>
    [Range(0.01, 1_000_000)]
    public double Speed { get; set; } = 600;

    /// <summary>The longest pause between two posts, in seconds, so a quiet night in the data does not stall the drill.</summary>
    [Range(0, 3600)]
    public double MaxGapSeconds { get; set; } = 2;

    /// <summary>Open the drill incident on first run (when there are no incidents yet).</summary>
    public bool OpenOnFirstRun { get; set; } = true;
}

/// <summary>A bundled real data set a drill can replay.</summary>
public sealed record DrillDataSet(string Title, string RelativePath, string Format, string SourceName, string[] Keywords, string Area)
{
    public static readonly DrillDataSet Germanwings = new(
        "Germanwings 9525 (PHEME replay)",
        "Features/Drill/Data/germanwings-crash.rumours.json",
        CrisisDesk.Core.Ingest.Formats.XV1TweetFormat.Name,
        "PHEME Germanwings rumour tweets",
        ["germanwings", "4U9525", "Alps", "crash"],
        "French Alps");
}
