using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// Timings and limits every streaming connector shares. Defaults follow X's reconnect guidance (the strictest of the
/// three platforms); tests shrink them to milliseconds.
/// </summary>
public sealed record StreamTimings
{
    /// <summary>Reconnect when nothing (no data, no keep-alive) arrived for this long. X sends a keep-alive every 20 s or less.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for a connection to be accepted (response headers or WebSocket handshake).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Network errors back off linearly by this step per consecutive failure…</summary>
    public TimeSpan NetworkBackoffStep { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>…up to this.</summary>
    public TimeSpan NetworkBackoffMax { get; init; } = TimeSpan.FromSeconds(16);

    /// <summary>HTTP errors back off exponentially from this…</summary>
    public TimeSpan HttpBackoffBase { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>…up to this.</summary>
    public TimeSpan HttpBackoffMax { get; init; } = TimeSpan.FromSeconds(320);

    /// <summary>HTTP 429 backs off exponentially from this, or until the server's reset time when that is later…</summary>
    public TimeSpan RateLimitBackoffBase { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>…up to this (a later server reset time still wins).</summary>
    public TimeSpan RateLimitBackoffMax { get; init; } = TimeSpan.FromMinutes(16);

    /// <summary>Failed connection attempts in a row (within <see cref="CircuitSamplingDuration"/>) that open the circuit.</summary>
    public int CircuitFailureThreshold { get; init; } = 8;

    /// <summary>Window in which failures are counted (Polly's minimum is 0.5 s).</summary>
    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an open circuit refuses attempts before one trial connection (Polly's minimum is 0.5 s).</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest frame kept whole; a longer one is cut just past this and refused by the normaliser.</summary>
    public int MaxFrameBytes { get; init; } = StreamFormats.MaxFrameBytes;

    /// <summary>Items read ahead of the pipeline before the connector waits (backpressure).</summary>
    public int BufferCapacity { get; init; } = 1024;

    /// <summary>How many recent item identities each connector remembers to drop re-deliveries across reconnects.</summary>
    public int DedupeWindow { get; init; } = 20_000;
}
