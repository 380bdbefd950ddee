using System.ComponentModel.DataAnnotations;

namespace CrisisDesk.Ingest.Replay;

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
