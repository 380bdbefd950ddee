using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// <c>news.item</c>: a feed entry becomes a media-mention post (platform <c>news</c>): title then summary as text
/// (HTML stripped), the outlet as author when the entry names none, outlet and feed kept in <see cref="Post.Extra"/>.
/// </summary>
public sealed class NewsItemNormaliser : IPostNormaliser
{
    /// <summary>Full articles sometimes sit in the summary: the war room needs the gist, the link has the rest.</summary>
    public const int MaxSummaryCharacters = 1000;

    public string Format => FeedFormats.NewsItem;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        NewsItemEnvelope? item;
        try
        {
            item = NewsItemEnvelope.FromUtf8(payload);
        }
        catch (JsonException ex)
        {
            return NormaliseResult.Malformed("news item is not a valid envelope: " + ex.Message);
        }
        catch (ArgumentException ex)
        {
            return NormaliseResult.Malformed("news item is not valid UTF-8: " + ex.Message);
        }

        if (item is null || string.IsNullOrWhiteSpace(item.Feed))
        {
            return NormaliseResult.Malformed("news item has no feed address");
        }

        if (string.IsNullOrWhiteSpace(item.Id))
        {
            return NormaliseResult.Malformed("news item has no guid, id, link or title to identify it");
        }

        var title = HtmlText.ToPlainText(item.Title);
        var summary = item.SummaryIsHtml
            ? HtmlText.ToPlainText(item.Summary, MaxSummaryCharacters)
            : HtmlText.ToPlainText(System.Net.WebUtility.HtmlEncode(item.Summary ?? ""), MaxSummaryCharacters);
        var text = (title, summary) switch
        {
            ("", "") => null,
            (_, "") => title,
            ("", _) => summary,
            _ => summary.StartsWith(title, StringComparison.Ordinal) ? summary : title + "\n\n" + summary,
        };
        if (text is null)
        {
            return NormaliseResult.Malformed($"news item '{item.Id}' has neither title nor summary");
        }

        var createdAt = FeedDates.TryParse(item.Published, out var published) ? published
            : FeedDates.TryParse(item.Updated, out var updated) ? updated
            : item.FetchedAt;

        return NormaliseResult.Ok(new Post
        {
            Platform = "news",
            ExternalId = ExternalId(item.Id, item.Feed),
            CreatedAt = createdAt,
            AuthorHandle = Uri.TryCreate(item.Feed, UriKind.Absolute, out var feedUri) && !feedUri.IsFile ? feedUri.Host : item.Outlet,
            AuthorName = item.Author ?? item.Outlet,
            Text = text,
            Url = item.Link,
            Language = item.Language,
            HasMedia = item.HasMedia,
            Extra = Extra(item),
        });
    }

    /// <summary>
    /// A guid that is a URI or tag is globally unique; a bare "12345" is only unique in its feed, so it is qualified
    /// with the feed address to keep two outlets' item 12345 apart.
    /// </summary>
    public static string ExternalId(string id, string feed) =>
        NewsItemEnvelope.IsAbsolute(id) || id.StartsWith("tag:", StringComparison.OrdinalIgnoreCase) ? id : feed + "#" + id;

    private static string Extra(NewsItemEnvelope item)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", "media-mention");
            json.WriteString("outlet", item.Outlet);
            json.WriteString("feed", item.Feed);
            if (item.Categories is { Count: > 0 })
            {
                WriteArray(json, "categories", item.Categories);
            }

            if (item.Matched is { Count: > 0 })
            {
                WriteArray(json, "matched", item.Matched);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteArray(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
