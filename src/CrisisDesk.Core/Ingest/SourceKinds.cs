namespace CrisisDesk.Core.Ingest;

/// <summary>
/// Every kind of source, as stored in <c>sources.kind</c> and named in the API: one place for the codes the ingest
/// factories, the validator and the Sources page switch on.
/// </summary>
public static class SourceKinds
{
    public const string Rss = "rss";
    public const string Atom = "atom";
    /// <summary>Another agency's CAP alerts, polled from its index.</summary>
    public const string CapFeed = "cap-feed";
    public const string X = "x";
    public const string Mastodon = "mastodon";
    public const string Bluesky = "bluesky";
    /// <summary>A recorded file played back (drills, reviews).</summary>
    public const string Replay = "replay";

    /// <summary>The polled feeds.</summary>
    public static IReadOnlyList<string> Feeds { get; } = [Rss, Atom, CapFeed];

    /// <summary>The platforms' streams.</summary>
    public static IReadOnlyList<string> Streaming { get; } = [X, Mastodon, Bluesky];

    /// <summary>Every kind, in the order the Sources page's menu lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Feeds, .. Streaming, Replay];

    public static bool IsFeed(string kind) => kind is Rss or Atom or CapFeed;
}
