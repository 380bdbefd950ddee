using System.Text.Json;
using System.Text.Json.Serialization;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Ingest.Connectors.Feeds;

public enum FeedSourceKind
{
    /// <summary>A news RSS 2.0 feed (RSS 1.0 and Atom are read too: the document decides).</summary>
    Rss,

    /// <summary>A news Atom feed (RSS is read too: the document decides).</summary>
    Atom,

    /// <summary>An Atom or RSS index of another agency whose entries link to CAP alert documents.</summary>
    CapFeed,
}

/// <summary>
/// One polled feed. Every interval and limit is an option so tests run in milliseconds and operators can tune a
/// slow or strict server. Configured from the source's JSON, e.g.
/// <c>{"url":"https://feeds.bbci.co.uk/news/rss.xml","keywords":["flood","#A34"],"pollIntervalSeconds":120}</c>.
/// </summary>
public sealed record FeedSourceOptions
{
    public required FeedSourceKind Kind { get; init; }
    public required Uri Url { get; init; }

    /// <summary>News items are kept only when they mention one of these; empty keeps all. CAP alerts are never filtered.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxRetries { get; init; } = 4;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A server's Retry-After is honoured up to this; beyond it the connector reports and waits for the next poll.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromMinutes(1);
    public int CircuitMinimumThroughput { get; init; } = 6;
    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest feed body read, counted while reading (after decompression), not after.</summary>
    public long MaxDocumentBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Largest linked CAP document read.</summary>
    public long MaxCapDocumentBytes { get; init; } = 1024 * 1024;

    /// <summary>CAP documents fetched per poll at most; the rest wait for the next poll (the index is fetched again).</summary>
    public int MaxCapDocumentsPerPoll { get; init; } = 100;

    /// <summary>How many item ids the cursor remembers (as short hashes); overlap beyond it is absorbed by dedupe.</summary>
    public int MaxSeenIds { get; init; } = 500;

    public string UserAgent { get; init; } = "CrisisDesk/1.0 (+https://github.com/crisisdesk; feed monitor)";

    public static FeedSourceKind ParseKind(string kind) => kind.Trim().ToLowerInvariant() switch
    {
        SourceKinds.Rss => FeedSourceKind.Rss,
        SourceKinds.Atom => FeedSourceKind.Atom,
        SourceKinds.CapFeed or "cap" => FeedSourceKind.CapFeed,
        _ => throw new ArgumentException($"unknown feed kind '{kind}': expected rss, atom or cap-feed", nameof(kind)),
    };

    /// <summary>Reads a source's JSON configuration; unknown fields are ignored, a missing or non-http(s) url is refused.</summary>
    public static FeedSourceOptions FromJson(string kind, string json)
    {
        var config = JsonSerializer.Deserialize(json, FeedConfigJson.Default.FeedSourceConfig)
            ?? throw new ArgumentException("feed source configuration is empty");
        if (!Uri.TryCreate(config.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"feed source needs an http(s) \"url\", got '{config.Url}'");
        }

        var options = new FeedSourceOptions { Kind = ParseKind(kind), Url = url, Keywords = config.Keywords ?? [] };
        return options with
        {
            PollInterval = Seconds(config.PollIntervalSeconds) ?? options.PollInterval,
            RequestTimeout = Seconds(config.RequestTimeoutSeconds) ?? options.RequestTimeout,
            MaxRetries = config.MaxRetries ?? options.MaxRetries,
            MaxDocumentBytes = config.MaxDocumentBytes ?? options.MaxDocumentBytes,
        };
    }

    private static TimeSpan? Seconds(double? value) => value is > 0 ? TimeSpan.FromSeconds(value.Value) : null;
}

internal sealed record FeedSourceConfig(
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("keywords")] string[]? Keywords,
    [property: JsonPropertyName("pollIntervalSeconds")] double? PollIntervalSeconds,
    [property: JsonPropertyName("requestTimeoutSeconds")] double? RequestTimeoutSeconds,
    [property: JsonPropertyName("maxRetries")] int? MaxRetries,
    [property: JsonPropertyName("maxDocumentBytes")] long? MaxDocumentBytes);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(FeedSourceConfig))]
[JsonSerializable(typeof(FeedCursor))]
internal sealed partial class FeedConfigJson : JsonSerializerContext;
