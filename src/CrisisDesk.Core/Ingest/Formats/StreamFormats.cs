namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// Format names of the streaming platforms' raw items, and the limits every streaming normaliser and connector share,
/// so that a frame the connector had to cut short is refused by the normaliser with the same number in its reason.
/// </summary>
public static class StreamFormats
{
    /// <summary>One line of the X API v2 filtered stream: <c>{"data":…,"includes":…,"matching_rules":…}</c>.</summary>
    public const string XFilteredStream = "x.v2.stream";

    /// <summary>One Mastodon server-sent event block as received (<c>event: …</c> and <c>data: …</c> lines).</summary>
    public const string MastodonStatus = "mastodon.status";

    /// <summary>One Bluesky Jetstream event (a JSON WebSocket message).</summary>
    public const string BlueskyJetstream = "bluesky.jetstream";

    /// <summary>Largest frame accepted. Real posts are a few KiB; anything larger is cut by the connector and refused here.</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted: real payloads nest fewer than 10 levels.</summary>
    public const int MaxJsonDepth = 64;
}
