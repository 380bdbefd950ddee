namespace CrisisDesk.Core.Rumours;

/// <summary>Where a tracked rumour stands. Stored and logged by name.</summary>
public enum RumourStatus
{
    New,
    Investigating,
    ConfirmedFalse,
    ConfirmedTrue,
    Unverified,
    Resolved,
}

/// <summary>How much harm a rumour can do if left unanswered. Stored and logged by name.</summary>
public enum RumourSeverity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>
/// The status lifecycle: New → Investigating → Confirmed false / Confirmed true / Unverified → Resolved.
/// A verdict can be revisited (back to Investigating) when new facts arrive; a resolved rumour can be reopened.
/// </summary>
public static class RumourLifecycle
{
    private static readonly Dictionary<RumourStatus, RumourStatus[]> Next = new()
    {
        [RumourStatus.New] = [RumourStatus.Investigating],
        [RumourStatus.Investigating] = [RumourStatus.ConfirmedFalse, RumourStatus.ConfirmedTrue, RumourStatus.Unverified],
        [RumourStatus.ConfirmedFalse] = [RumourStatus.Resolved, RumourStatus.Investigating],
        [RumourStatus.ConfirmedTrue] = [RumourStatus.Resolved, RumourStatus.Investigating],
        [RumourStatus.Unverified] = [RumourStatus.Resolved, RumourStatus.Investigating],
        [RumourStatus.Resolved] = [RumourStatus.Investigating],
    };

    /// <summary>The statuses a rumour in <paramref name="from"/> may move to, in the order a person would consider them.</summary>
    public static IReadOnlyList<RumourStatus> AllowedFrom(RumourStatus from) => Next[from];

    public static bool CanMove(RumourStatus from, RumourStatus to) => Next[from].Contains(to);

    /// <summary>Whether the rumour is still being tracked (suggestions are looked for only for these).</summary>
    public static bool IsOpen(RumourStatus status) => status != RumourStatus.Resolved;

    public static string Label(RumourStatus status) => status switch
    {
        RumourStatus.ConfirmedFalse => "Confirmed false",
        RumourStatus.ConfirmedTrue => "Confirmed true",
        var other => other.ToString(),
    };

    public static bool TryParse(string? value, out RumourStatus status) =>
        Enum.TryParse(value, ignoreCase: false, out status) && Enum.IsDefined(status);
}
