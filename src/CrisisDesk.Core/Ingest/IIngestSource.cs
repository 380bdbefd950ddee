namespace CrisisDesk.Core.Ingest;

/// <summary>
/// One item as a source delivered it, before normalisation: its bytes are kept as they came so that
/// a payload that cannot be normalised is quarantined whole, with the reason.
/// </summary>
/// <param name="Format">Which normaliser reads it (see <see cref="PostFormats"/>).</param>
/// <param name="Payload">The raw bytes, expected to be UTF-8; invalid bytes are a quarantine reason, not a crash.</param>
/// <param name="Cursor">The source's resumable position just after this item: saved with the batch that contains it.</param>
public sealed record RawItem(string Format, ReadOnlyMemory<byte> Payload, string Cursor);

/// <summary>
/// A source of posts: an async stream of raw items that can resume after the last cursor that was saved.
/// Implementations deliver at least once; the pipeline dedupes, so overlap after a resume is harmless.
/// </summary>
public interface IIngestSource
{
    /// <summary>Reads items after <paramref name="cursor"/> (null: from the start) until the source ends or is cancelled.</summary>
    IAsyncEnumerable<RawItem> ReadAsync(string? cursor, CancellationToken cancellationToken);
}

/// <summary>
/// What a source says about itself while it runs, beyond the items it yields: shown in the war room and <c>/healthz</c>.
/// Connectors report reconnects and rate limits here; the pipeline reports counts.
/// </summary>
public interface ISourceStatusReporter
{
    void Report(SourceState state, string? detail = null, DateTimeOffset? until = null);
}

public enum SourceState
{
    Starting,
    Connected,
    Reconnecting,
    RateLimited,
    Completed,
    Stopped,
    Failed,

    /// <summary>Still running, but its last attempt went wrong in a way it reports and retries (the detail says how).</summary>
    Degraded,
}
