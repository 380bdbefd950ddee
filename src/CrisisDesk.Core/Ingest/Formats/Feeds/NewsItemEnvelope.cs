using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// The <c>news.item</c> payload: one feed entry with the values the feed wrote (dates unparsed, summary possibly HTML)
/// plus what only the connector knows: which feed and outlet it came from, when it was fetched, which keywords it matched.
/// JSON, so the payload stays self-contained after the feed document around it is gone.
/// </summary>
public sealed record NewsItemEnvelope
{
    [JsonPropertyName("feed")] public required string Feed { get; init; }
    [JsonPropertyName("outlet")] public string? Outlet { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("link")] public string? Link { get; init; }
    [JsonPropertyName("published")] public string? Published { get; init; }
    [JsonPropertyName("updated")] public string? Updated { get; init; }
    [JsonPropertyName("summary")] public string? Summary { get; init; }
    [JsonPropertyName("summaryIsHtml")] public bool SummaryIsHtml { get; init; }
    [JsonPropertyName("author")] public string? Author { get; init; }
    [JsonPropertyName("language")] public string? Language { get; init; }
    [JsonPropertyName("hasMedia")] public bool HasMedia { get; init; }
    [JsonPropertyName("categories")] public IReadOnlyList<string>? Categories { get; init; }
    [JsonPropertyName("matched")] public IReadOnlyList<string>? Matched { get; init; }
    [JsonPropertyName("fetchedAt")] public DateTimeOffset FetchedAt { get; init; }

    /// <summary>The id the connector remembers and the post is stored under: guid/id, else link, else title + date.</summary>
    public static string? IdentityOf(FeedEntry entry) =>
        entry.Id ?? entry.Link ?? (entry.Title is null ? null : entry.Title + "|" + (entry.Published ?? entry.Updated));

    public static NewsItemEnvelope From(FeedDocument feed, FeedEntry entry, string feedUrl, DateTimeOffset fetchedAt, IReadOnlyList<string> matched) => new()
    {
        Feed = feedUrl,
        Outlet = feed.Title,
        Kind = feed.Kind == FeedKind.Atom ? "atom" : "rss",
        Id = IdentityOf(entry),
        Title = entry.Title,
        Link = ResolveLink(entry.Link, feedUrl),
        Published = entry.Published,
        Updated = entry.Updated,
        Summary = entry.Summary,
        SummaryIsHtml = entry.SummaryIsHtml,
        Author = entry.Author,
        Language = entry.Language ?? feed.Language,
        HasMedia = entry.HasMedia,
        Categories = entry.Categories.Count == 0 ? null : entry.Categories,
        Matched = matched.Count == 0 ? null : matched,
        FetchedAt = fetchedAt,
    };

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, EnvelopeJson.Default.NewsItemEnvelope);

    public static NewsItemEnvelope? FromUtf8(ReadOnlySpan<byte> payload) => JsonSerializer.Deserialize(payload, EnvelopeJson.Default.NewsItemEnvelope);

    /// <summary>
    /// Absolute as a feed means it: on Unix "/2026/story" would parse as an absolute file URI, so a file URI only counts
    /// when it is written as one.
    /// </summary>
    public static bool IsAbsolute(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (!uri.IsFile || value.StartsWith("file:", StringComparison.OrdinalIgnoreCase));

    /// <summary>Relative links are common in hand-made feeds: resolve them against the feed's address.</summary>
    public static string? ResolveLink(string? link, string baseUrl)
    {
        if (link is null)
        {
            return null;
        }

        return IsAbsolute(link) ? link
            : Uri.TryCreate(baseUrl, UriKind.Absolute, out var b) && Uri.TryCreate(b, link, out var resolved) ? resolved.ToString() : link;
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewsItemEnvelope))]
[JsonSerializable(typeof(FeedRejection))]
internal sealed partial class EnvelopeJson : JsonSerializerContext;
