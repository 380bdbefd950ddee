using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Connectors.Bluesky;
using CrisisDesk.Ingest.Connectors.Mastodon;
using CrisisDesk.Ingest.Connectors.X;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// Builds a streaming connector from a source's kind and its JSON configuration (as stored with the incident's source).
/// The configuration never holds a credential, only the name of one (<c>tokenSecret</c>), which <c>secrets</c> resolves
/// from configuration, environment or user secrets, with the platform and hosts it is bound to (<see cref="SourceSecrets"/>):
/// a credential for another platform or host is refused here, and again by the connector before each request.
/// Bluesky's WebSocket connects through <paramref name="webSockets"/>, when given, under the outbound address policy.
/// </summary>
/// <example>
/// <code>
/// x:        {"tokenSecret":"X:BearerToken","rules":[{"value":"flood (bristol OR A38) -is:retweet","tag":"flood"}],"backfill":false}
/// mastodon: {"instance":"https://mastodon.social/","tokenSecret":"Mastodon:Token","stream":"hashtag","hashtag":"flood"}
/// bluesky:  {"keywords":["flood","A38"],"rewindSeconds":5}
/// </code>
/// </example>
public sealed class StreamingSourceFactory(HttpClient http, Func<string, SourceSecret?> secrets, TimeProvider? time = null, HttpMessageInvoker? webSockets = null)
{
    public static readonly IReadOnlyList<string> Kinds = SourceKinds.Streaming;

    /// <summary>The normalisers of what these connectors emit, for the pipeline's format lookup.</summary>
    public static IReadOnlyList<IPostNormaliser> Normalisers => PostFormats.Streams;

    /// <param name="storedAuthors">For <c>bluesky</c>: reads the authors whose posts the incident holds (see <see cref="JetstreamOptions.StoredAuthors"/>).</param>
    /// <exception cref="ArgumentException">Unknown kind, invalid configuration or a missing credential (its name, never a value).</exception>
    public StreamingConnector Create(string kind, string configuration, ISourceStatusReporter status, StreamTimings? timings = null,
        Func<CancellationToken, Task<IReadOnlyCollection<string>>>? storedAuthors = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(configuration, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{kind} source configuration is not valid JSON: {ex.Message}", nameof(configuration), ex);
        }
        using (doc)
        {
            var config = doc.RootElement;
            return kind switch
            {
                SourceKinds.X => new XFilteredStreamSource(http, XOptions(config, kind) with
                {
                    Rules = config.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array
                        ? rules.EnumerateArray().Select(r => new XStreamRule(
                            r.String("value") ?? throw new ArgumentException("an x rule has no \"value\"", nameof(configuration)), r.String("tag"))).ToList()
                        : throw new ArgumentException("an x source needs \"rules\"", nameof(configuration)),
                    BackfillOnReconnect = config.TryGetProperty("backfill", out var backfill) && backfill.ValueKind == JsonValueKind.True,
                    Timings = timings ?? new StreamTimings(),
                }, status, time),
                SourceKinds.Mastodon => new MastodonStreamingSource(http, MastodonOptions(config, kind) with
                {
                    Stream = config.String("stream") is "public" ? MastodonStream.Public : MastodonStream.Hashtag,
                    Hashtag = config.String("hashtag"),
                    Timings = timings ?? MastodonStreamingOptions.DefaultTimings,
                }, status, time),
                SourceKinds.Bluesky => new JetstreamSource(new JetstreamOptions
                {
                    Endpoint = Address(config, "endpoint") ?? JetstreamOptions.DefaultEndpoint,
                    Keywords = config.TryGetProperty("keywords", out var keywords) && keywords.ValueKind == JsonValueKind.Array
                        ? keywords.EnumerateArray().Select(k => k.GetString() ?? "").ToList()
                        : [],
                    Rewind = TimeSpan.FromSeconds(config.TryGetProperty("rewindSeconds", out var rewind) && rewind.TryGetInt32(out var s) ? Math.Clamp(s, 0, 300) : 5),
                    Timings = timings ?? JetstreamOptions.DefaultTimings,
                    StoredAuthors = storedAuthors,
                    WebSocketInvoker = webSockets,
                }, status, time),
                _ => throw new ArgumentException($"unknown streaming source kind '{kind}' (known: {string.Join(", ", Kinds)})", nameof(kind)),
            };
        }
    }

    private XFilteredStreamOptions XOptions(JsonElement config, string kind)
    {
        var address = Address(config, "baseAddress") ?? XFilteredStreamOptions.DefaultBaseAddress;
        var secret = Secret(config, kind, address);
        return new XFilteredStreamOptions { BaseAddress = address, BearerToken = secret.Value, Credential = secret.Binding };
    }

    private MastodonStreamingOptions MastodonOptions(JsonElement config, string kind)
    {
        var instance = Address(config, "instance") ?? throw new ArgumentException("a mastodon source needs \"instance\"", nameof(config));
        var secret = Secret(config, kind, instance);
        return new MastodonStreamingOptions { Instance = instance, AccessToken = secret.Value, Credential = secret.Binding };
    }

    /// <summary>The named credential, if it may go to <paramref name="address"/> for this kind: never a value in a message.</summary>
    private SourceSecret Secret(JsonElement config, string kind, Uri address)
    {
        var name = config.String("tokenSecret") ?? throw new ArgumentException($"a {kind} source needs \"tokenSecret\": the name of its credential in configuration");
        var secret = secrets(name) ?? throw new ArgumentException($"credential '{name}' for the {kind} source is not configured");
        return secret.Binding.Refusal(kind, address) is { } refusal ? throw new ArgumentException(refusal) : secret;
    }

    private static Uri? Address(JsonElement config, string property) =>
        config.String(property) is { } text
            ? Uri.TryCreate(text.EndsWith('/') || property == "endpoint" ? text : text + "/", UriKind.Absolute, out var uri)
                ? uri
                : throw new ArgumentException($"\"{property}\" is not an absolute URL: {text}")
            : null;
}
