using CrisisDesk.Ingest.Connectors;

namespace CrisisDesk.Ingest.Connectors.X;

/// <summary>One filtered stream rule: an X query (the incident's keywords) and the tag kept on every post it matches.</summary>
public sealed record XStreamRule(string Value, string? Tag);

/// <summary>Configuration of the X API v2 filtered stream connector (source kind <c>x</c>).</summary>
public sealed record XFilteredStreamOptions
{
    public static readonly Uri DefaultBaseAddress = new("https://api.x.com/");

    public Uri BaseAddress { get; init; } = DefaultBaseAddress;

    /// <summary>App-only bearer token, from configuration or environment: sent in a header, never logged or shown.</summary>
    public required string BearerToken { get; init; }

    /// <summary>
    /// Where the credential may go (its platform, hosts and https): checked before each request that carries it. Null
    /// only where a test builds the connector by hand against its own fake server.
    /// </summary>
    public SecretBinding? Credential { get; init; }

    /// <summary>The rules this source wants on the stream: the stream's rule set is made equal to these before connecting.</summary>
    public IReadOnlyList<XStreamRule> Rules { get; init; } = [];

    /// <summary>
    /// Ask for the posts missed while disconnected with <c>backfill_minutes</c> (1–5) on reconnect. Only some access
    /// levels allow it (X refuses the parameter otherwise), so it is opt-in.
    /// </summary>
    public bool BackfillOnReconnect { get; init; }

    public StreamTimings Timings { get; init; } = new();
}
