using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>What the connector and the probe share: which entries are which items, and where a CAP entry points.</summary>
internal static class FeedItems
{
    /// <summary>The id an entry is remembered by: its guid/id, link or title, else a hash of its summary.</summary>
    public static string SeenId(FeedEntry entry) =>
        NewsItemEnvelope.IdentityOf(entry) ?? "summary:" + FeedCursor.Key(entry.Summary ?? string.Empty);

    /// <summary>Entries oldest first (feeds list newest first), each once even if the feed repeats it.</summary>
    public static IEnumerable<FeedEntry> OldestFirst(FeedDocument feed)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = feed.Entries.Count - 1; i >= 0; i--)
        {
            if (ids.Add(SeenId(feed.Entries[i])))
            {
                yield return feed.Entries[i];
            }
        }
    }

    /// <summary>The text keywords are matched against: title, summary as text, categories.</summary>
    public static string KeywordText(FeedEntry entry) =>
        string.Join('\n', [HtmlText.ToPlainText(entry.Title), entry.SummaryIsHtml ? HtmlText.ToPlainText(entry.Summary) : entry.Summary ?? "", .. entry.Categories]);

    public static byte[] NewsPayload(FeedDocument feed, FeedEntry entry, string feedUrl, DateTimeOffset fetchedAt, IReadOnlyList<string> matched) =>
        NewsItemEnvelope.From(feed, entry, feedUrl, fetchedAt, matched).ToUtf8();

    /// <summary>
    /// Where a CAP index entry's alert is: a link typed application/cap+xml, else one ending in .cap, else the
    /// alternate link, else an id that is itself an address (the NWS style). Relative links resolve against the index.
    /// </summary>
    public static Uri? CapLinkOf(FeedEntry entry, Uri indexUrl)
    {
        var href = entry.Links.FirstOrDefault(l => l.Type?.Contains("cap", StringComparison.OrdinalIgnoreCase) == true)?.Href
            ?? entry.Links.FirstOrDefault(l => l.Href.EndsWith(".cap", StringComparison.OrdinalIgnoreCase))?.Href
            ?? entry.Links.FirstOrDefault(l => l.Rel == "alternate")?.Href
            ?? (entry.Id is { } id && (id.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || id.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ? id : null);
        return href is not null && Uri.TryCreate(indexUrl, href, out var url) ? url : null;
    }

    /// <summary>
    /// A document that is one CAP alert rather than a feed: the id it is remembered by (CAP's own sender,identifier,sent
    /// triple, so a new alert replacing it at the same address is new), or why it cannot be read as an alert.
    /// </summary>
    public static SingleCapAlert SingleCapAlert(byte[] document)
    {
        try
        {
            var alert = CapAlertReader.Read(document);
            return new SingleCapAlert($"cap:{alert.Sender},{alert.Identifier},{alert.Sent}", null);
        }
        catch (FeedFormatException ex)
        {
            return new SingleCapAlert("", ex.Message);
        }
    }

    public static bool IsHttp(Uri url) => url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps;
}

/// <summary>A bare CAP alert where a feed was expected: its seen id, or the problem that keeps it from being read.</summary>
internal sealed record SingleCapAlert(string SeenId, string? Problem);
