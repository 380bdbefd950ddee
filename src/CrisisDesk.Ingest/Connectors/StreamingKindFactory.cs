using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>The ingest host's factory for one streaming kind (<c>x</c>, <c>mastodon</c>, <c>bluesky</c>).</summary>
/// <param name="stored">What the incident already holds, for connectors that need it (Bluesky's deletions); null in checks that never run a connector.</param>
public sealed class StreamingKindFactory(string kind, StreamingSourceFactory connectors, StoredPostDirectory? stored = null) : ISourceFactory
{
    /// <summary>The named HttpClient the streaming connectors share: no client-wide timeout (streams stay open; the connector watches for silence).</summary>
    public const string HttpClientName = "streams";

    public string Kind => kind;

    public IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status) =>
        connectors.Create(kind, definition.Config, status,
            storedAuthors: stored is null ? null : cancellationToken => stored.AuthorsAsync(definition.IncidentId, "bluesky", cancellationToken));
}
