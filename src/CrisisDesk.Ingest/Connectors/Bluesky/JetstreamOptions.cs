namespace CrisisDesk.Ingest.Connectors.Bluesky;

/// <summary>Configuration of the Bluesky Jetstream connector (source kind <c>bluesky</c>).</summary>
public sealed record JetstreamOptions
{
    /// <summary>A Jetstream instance's subscribe endpoint; cursors are times, so any instance can resume another's.</summary>
    public static readonly Uri DefaultEndpoint = new("wss://jetstream2.us-east.bsky.network/subscribe");

    /// <summary>The post firehose never pauses for long; a minute of silence means a stalled connection.</summary>
    public static readonly StreamTimings DefaultTimings = new() { KeepAliveTimeout = TimeSpan.FromSeconds(60) };

    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The incident's keywords: Jetstream cannot filter text, so posts are matched here. Empty: every post.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];

    /// <summary>How far before the saved cursor to resume, for gapless playback; re-delivered events are dropped.</summary>
    public TimeSpan Rewind { get; init; } = TimeSpan.FromSeconds(5);

    public StreamTimings Timings { get; init; } = DefaultTimings;

    /// <summary>
    /// The DIDs of the authors whose Bluesky posts the incident already holds, read once when the connector starts, so
    /// that deletions of posts stored before a restart are still forwarded (see <see cref="JetstreamSource"/>). Null:
    /// only deletions of posts this connector handed over are forwarded.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyCollection<string>>>? StoredAuthors { get; init; }

    /// <summary>The invoker the WebSocket connects through (the outbound address policy); null: a direct connection.</summary>
    public HttpMessageInvoker? WebSocketInvoker { get; init; }
}
