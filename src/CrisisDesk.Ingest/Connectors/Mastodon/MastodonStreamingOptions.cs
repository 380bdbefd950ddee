using CrisisDesk.Ingest.Connectors;

namespace CrisisDesk.Ingest.Connectors.Mastodon;

public enum MastodonStream
{
    /// <summary>All public statuses the instance knows (<c>/api/v1/streaming/public</c>).</summary>
    Public,

    /// <summary>Public statuses with one hashtag (<c>/api/v1/streaming/hashtag?tag=…</c>).</summary>
    Hashtag,
}

/// <summary>Configuration of the Mastodon streaming connector (source kind <c>mastodon</c>): one stream of one instance.</summary>
public sealed record MastodonStreamingOptions
{
    /// <summary>The instance, e.g. <c>https://mastodon.social/</c>.</summary>
    public required Uri Instance { get; init; }

    /// <summary>An access token of an application on that instance: sent in a header, never logged or shown.</summary>
    public required string AccessToken { get; init; }

    /// <summary>
    /// Where the credential may go (its platform, hosts and https): checked before each request that carries it. Null
    /// only where a test builds the connector by hand against its own fake server.
    /// </summary>
    public SecretBinding? Credential { get; init; }

    public MastodonStream Stream { get; init; } = MastodonStream.Hashtag;

    /// <summary>The hashtag (without '#') when <see cref="Stream"/> is <see cref="MastodonStream.Hashtag"/>.</summary>
    public string? Hashtag { get; init; }

    /// <summary>Pages of at most 40 statuses read from the REST timeline to catch up after a reconnect.</summary>
    public int MaxCatchUpPages { get; init; } = 10;

    /// <summary>Mastodon sends a heartbeat comment every few seconds; a longer silence means a stalled connection.</summary>
    public static readonly StreamTimings DefaultTimings = new() { KeepAliveTimeout = TimeSpan.FromSeconds(45) };

    public StreamTimings Timings { get; init; } = DefaultTimings;
}
