using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Rumours;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>The war room's words for platforms, source states and severities: what people read instead of the code's names.</summary>
public static class WarRoomLabels
{
    /// <summary>Platforms the feed can hold, in the order the filter lists them.</summary>
    public static IReadOnlyList<string> KnownPlatforms { get; } = ["x", "mastodon", "bluesky", "news", "cap"];

    public static string Platform(string platform) => platform switch
    {
        "x" => "X (Twitter)",
        "mastodon" => "Mastodon",
        "bluesky" => "Bluesky",
        "news" => "News and feeds",
        "cap" => "Agency alerts (CAP)",
        _ => "Other source",
    };

    /// <summary>A short platform name for a feed card's chip.</summary>
    public static string PlatformChip(string platform) => platform switch
    {
        "x" => "X",
        "mastodon" => "Mastodon",
        "bluesky" => "Bluesky",
        "news" => "News",
        "cap" => "Alert",
        _ => "Other",
    };

    public static string SourceState(SourceState state) => state switch
    {
        Core.Ingest.SourceState.Starting => "Starting",
        Core.Ingest.SourceState.Connected => "Connected",
        Core.Ingest.SourceState.Reconnecting => "Reconnecting",
        Core.Ingest.SourceState.RateLimited => "Paused by the platform (rate limit)",
        Core.Ingest.SourceState.Degraded => "Running, with a problem",
        Core.Ingest.SourceState.Failed => "Stopped by an error",
        Core.Ingest.SourceState.Stopped => "Stopped",
        Core.Ingest.SourceState.Completed => "Replay complete",
        _ => "Unknown",
    };

    public static string Severity(RumourSeverity severity) => severity switch
    {
        RumourSeverity.Low => "Low",
        RumourSeverity.Medium => "Medium",
        RumourSeverity.High => "High",
        RumourSeverity.Critical => "Critical",
        _ => "Unknown",
    };

    public static string SeverityHelp(RumourSeverity severity) => severity switch
    {
        RumourSeverity.Low => "Little reach, little harm",
        RumourSeverity.Medium => "Spreading, could mislead",
        RumourSeverity.High => "Spreading fast or could cause harm",
        RumourSeverity.Critical => "Endangers people: act now",
        _ => "",
    };

    /// <summary>A language code as its English name ("de" → German), or the code when it is not a language .NET knows.</summary>
    public static string Language(string code) => Languages.Value.GetValueOrDefault(code, code);

    private static readonly Lazy<Dictionary<string, string>> Languages = new(() => System.Globalization.CultureInfo
        .GetCultures(System.Globalization.CultureTypes.NeutralCultures)
        .Where(c => c.Name.Length > 0)
        .ToDictionary(c => c.Name, c => c.EnglishName, StringComparer.OrdinalIgnoreCase));
}
