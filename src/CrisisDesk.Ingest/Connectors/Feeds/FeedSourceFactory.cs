using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>Creates a feed connector from a source's kind (<c>rss</c>, <c>atom</c>, <c>cap-feed</c>) and JSON configuration.</summary>
public static class FeedSourceFactory
{
    public static IReadOnlyList<string> Kinds => SourceKinds.Feeds;

    public static bool Handles(string kind) => Kinds.Contains(kind, StringComparer.OrdinalIgnoreCase);

    /// <param name="http">A client whose handler decompresses (the size cap counts decompressed bytes) and whose
    /// <see cref="HttpClient.Timeout"/> is infinite: per-request timeouts are the connector's own.</param>
    public static IIngestSource Create(string kind, string jsonConfig, HttpClient http, ISourceStatusReporter status, TimeProvider? time = null) =>
        new FeedPollingSource(FeedSourceOptions.FromJson(kind, jsonConfig), http, status, time);
}
