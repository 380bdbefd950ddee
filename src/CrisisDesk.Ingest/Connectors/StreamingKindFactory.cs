using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>The ingest host's factory for one streaming kind (<c>x</c>, <c>mastodon</c>, <c>bluesky</c>).</summary>
public sealed class StreamingKindFactory(string kind, StreamingSourceFactory connectors) : ISourceFactory
{
    /// <summary>The named HttpClient the streaming connectors share: no client-wide timeout (streams stay open; the connector watches for silence).</summary>
    public const string HttpClientName = "streams";

    public string Kind => kind;

    public IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status) =>
        connectors.Create(kind, definition.Config, status);
}
