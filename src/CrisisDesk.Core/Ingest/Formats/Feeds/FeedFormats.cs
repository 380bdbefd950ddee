namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>The <see cref="RawItem.Format"/> names the feed connectors emit, each read by one normaliser here.</summary>
public static class FeedFormats
{
    /// <summary>One news feed item (RSS 2.0 or Atom) as a JSON envelope: see <see cref="NewsItemEnvelope"/>.</summary>
    public const string NewsItem = "news.item";

    /// <summary>One CAP 1.1 / 1.2 alert document, its bytes exactly as the agency served them.</summary>
    public const string CapAlert = "cap.alert";

    /// <summary>A whole feed or CAP document the connector refused (unsafe, malformed, oversized): always quarantined, with its reason.</summary>
    public const string Rejected = "feed.rejected";
}
