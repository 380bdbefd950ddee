using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Classification;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>
/// The war room's filters; each one narrows the feed and they compose (AND). Empty values filter nothing.
/// </summary>
/// <param name="Search">Full-text search (PostgreSQL <c>simple</c> configuration, web-search syntax: words, "phrases", -not, or).</param>
/// <param name="Platform">Only this platform (<c>x</c>, <c>mastodon</c>, <c>bluesky</c>, <c>news</c>, <c>cap</c>).</param>
/// <param name="Language">Only posts in this language code.</param>
/// <param name="WindowMinutes">Only the last N minutes of event time, up to <paramref name="WindowEnd"/>.</param>
/// <param name="OfficialOnly">Only official sources: news outlets, other agencies' CAP alerts and accounts the platform verified.</param>
/// <param name="WindowEnd">The incident's "now" the window counts back from (the war room's incident clock);
/// null: the incident's latest post.</param>
/// <param name="Type">Only posts of this CrisisLexT26 information type (as the pipeline's classifier read them).</param>
/// <param name="AtLeast">Only posts at least this informative: <see cref="Informativeness.RelatedNotInformative"/> hides
/// the not related, <see cref="Informativeness.RelatedInformative"/> keeps only the informative.</param>
/// <param name="Place">Only located posts inside the incident's drawn area, or inside <paramref name="View"/>.</param>
/// <param name="View">What the war room's map shows (south, west, north, east; longitudes as the map gives them, may
/// run past ±180 when the map has been panned round the world).</param>
public sealed record TriageFilter(
    string? Search = null,
    string? Platform = null,
    string? Language = null,
    bool MediaOnly = false,
    int? WindowMinutes = null,
    bool UnreviewedOnly = false,
    bool OfficialOnly = false,
    DateTime? WindowEnd = null,
    InformationType? Type = null,
    Informativeness? AtLeast = null,
    FeedPlace Place = FeedPlace.Anywhere,
    GeoBox? View = null)
{
    public static TriageFilter None { get; } = new();

    /// <summary>Platforms that count as official sources.</summary>
    public static IReadOnlyList<string> OfficialPlatforms { get; } = ["news", "cap"];

    /// <summary>
    /// The SQL condition on posts <c>p</c> for an official source (parameter <c>@official</c>: <see cref="OfficialPlatforms"/>):
    /// a news or CAP item, or a post by an account its platform verified (news desks and agencies in a drill's archive).
    /// </summary>
    public const string OfficialCondition = "(p.platform = ANY(@official) OR p.extra->>'verified' = 'true')";

    public bool IsEmpty => this == None || (string.IsNullOrWhiteSpace(Search) && string.IsNullOrEmpty(Platform) && string.IsNullOrEmpty(Language)
        && !MediaOnly && WindowMinutes is null && !UnreviewedOnly && !OfficialOnly && Type is null && AtLeast is null
        && Place == FeedPlace.Anywhere);

    public bool HasSearch => !string.IsNullOrWhiteSpace(Search);
}

/// <summary>Where the feed's posts must be: anywhere (located or not), or located inside an area.</summary>
public enum FeedPlace
{
    Anywhere,
    /// <summary>Located inside the incident's drawn area (exact polygon and circle test).</summary>
    IncidentArea,
    /// <summary>Located inside what the war room's map shows.</summary>
    MapView,
}
