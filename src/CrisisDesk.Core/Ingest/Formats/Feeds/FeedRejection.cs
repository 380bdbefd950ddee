using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// A whole document a feed connector refused (DTD, malformed, oversized, undecodable), carried through the pipeline
/// as a <c>feed.rejected</c> item so that it is quarantined like any bad payload: with its reason and the first bytes as they came.
/// </summary>
public sealed record FeedRejection
{
    /// <summary>How much of a refused document is kept for the record: enough to see what it was.</summary>
    public const int MaxExcerptBytes = 16 * 1024;

    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("reason")] public required string Reason { get; init; }
    [JsonPropertyName("length")] public long Length { get; init; }
    [JsonPropertyName("excerptBase64")] public string? ExcerptBase64 { get; init; }

    public static FeedRejection Of(string url, string reason, ReadOnlySpan<byte> document) => new()
    {
        Url = url,
        Reason = reason,
        Length = document.Length,
        ExcerptBase64 = document.Length == 0 ? null : Convert.ToBase64String(document[..Math.Min(document.Length, MaxExcerptBytes)]),
    };

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, EnvelopeJson.Default.FeedRejection);

    public static FeedRejection? FromUtf8(ReadOnlySpan<byte> payload) => JsonSerializer.Deserialize(payload, EnvelopeJson.Default.FeedRejection);
}

/// <summary><c>feed.rejected</c>: never a post; always the quarantine reason the connector gave, with the document's address.</summary>
public sealed class FeedRejectionNormaliser : IPostNormaliser
{
    public string Format => FeedFormats.Rejected;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        try
        {
            var rejection = FeedRejection.FromUtf8(payload);
            return NormaliseResult.Malformed(rejection is null ? "feed document refused" : $"{rejection.Reason} ({rejection.Url})");
        }
        catch (JsonException ex)
        {
            return NormaliseResult.Malformed("feed document refused (rejection record unreadable: " + ex.Message + ")");
        }
    }
}

/// <summary>The normalisers for every format the feed connectors emit, for the pipeline's registry.</summary>
public static class FeedNormalisers
{
    public static IReadOnlyList<IPostNormaliser> All { get; } = [new NewsItemNormaliser(), new CapAlertNormaliser(), new FeedRejectionNormaliser()];

    /// <summary>Used by the probe: a post or a reason, whatever the format.</summary>
    public static NormaliseResult Normalise(string format, ReadOnlySpan<byte> payload) =>
        All.FirstOrDefault(n => n.Format == format) is { } normaliser ? normaliser.Normalise(payload) : NormaliseResult.Malformed($"no normaliser for format '{format}'");
}
