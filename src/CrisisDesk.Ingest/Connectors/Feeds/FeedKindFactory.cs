using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>The ingest host's factory for one feed kind (<c>rss</c>, <c>atom</c>, <c>cap-feed</c>).</summary>
public sealed class FeedKindFactory(string kind, IHttpClientFactory httpClients) : ISourceFactory
{
    /// <summary>The named HttpClient feeds use: decompressing, with no client-wide timeout (the connector times each request).</summary>
    public const string HttpClientName = "feeds";

    public string Kind => kind;

    public IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status) =>
        FeedSourceFactory.Create(kind, definition.Config, httpClients.CreateClient(HttpClientName), status);
}
