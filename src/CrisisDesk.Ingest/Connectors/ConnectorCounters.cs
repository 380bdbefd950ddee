namespace CrisisDesk.Ingest.Connectors;

/// <summary>What a connector has seen since it started, for the war room and <c>/healthz</c>. Thread-safe.</summary>
public sealed class ConnectorCounters
{
    private long _frames;
    private long _keepAlives;
    private long _items;
    private long _duplicatesDropped;
    private long _filteredOut;
    private long _oversizedFrames;
    private long _connects;
    private long _reconnects;

    /// <summary>Frames read from the wire (lines, events or messages), keep-alives excluded.</summary>
    public long Frames => Interlocked.Read(ref _frames);
    public long KeepAlives => Interlocked.Read(ref _keepAlives);

    /// <summary>Raw items handed to the pipeline.</summary>
    public long Items => Interlocked.Read(ref _items);

    /// <summary>Frames dropped because the same item was already handed over (re-delivery after a reconnect).</summary>
    public long DuplicatesDropped => Interlocked.Read(ref _duplicatesDropped);

    /// <summary>Frames dropped because they did not match the incident's keywords (Bluesky filters on the client).</summary>
    public long FilteredOut => Interlocked.Read(ref _filteredOut);

    /// <summary>Frames longer than the limit: cut and handed over for the normaliser to refuse with the reason.</summary>
    public long OversizedFrames => Interlocked.Read(ref _oversizedFrames);
    public long Connects => Interlocked.Read(ref _connects);
    public long Reconnects => Interlocked.Read(ref _reconnects);

    internal void Frame() => Interlocked.Increment(ref _frames);
    internal void KeepAlive() => Interlocked.Increment(ref _keepAlives);
    internal void Item() => Interlocked.Increment(ref _items);
    internal void Duplicate() => Interlocked.Increment(ref _duplicatesDropped);
    internal void Filtered() => Interlocked.Increment(ref _filteredOut);
    internal void Oversized() => Interlocked.Increment(ref _oversizedFrames);
    internal void Connected() => Interlocked.Increment(ref _connects);
    internal void Reconnect() => Interlocked.Increment(ref _reconnects);
}
