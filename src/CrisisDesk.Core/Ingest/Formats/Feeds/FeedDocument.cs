namespace CrisisDesk.Core.Ingest.Formats.Feeds;

public enum FeedKind
{
    Rss,
    Atom,
}

/// <summary>A parsed RSS 2.0 (or RSS 1.0) or Atom feed: its channel details and its entries in document order.</summary>
public sealed record FeedDocument(FeedKind Kind, string? Title, string? Link, string? Language, IReadOnlyList<FeedEntry> Entries);

/// <summary>A link of an entry: Atom <c>link</c>, RSS <c>link</c> or <c>enclosure</c>.</summary>
public sealed record FeedLink(string Href, string Rel, string? Type);

/// <summary>
/// One feed entry with its values as the feed wrote them (dates unparsed, summary possibly HTML), so that what is
/// kept for the record is what arrived; <see cref="NewsItemNormaliser"/> interprets them.
/// </summary>
public sealed record FeedEntry
{
    public string? Id { get; init; }
    public string? Title { get; init; }
    public string? Link { get; init; }
    public string? Published { get; init; }
    public string? Updated { get; init; }
    public string? Summary { get; init; }

    /// <summary>True when <see cref="Summary"/> is HTML to strip (RSS description, Atom type="html"); false when already text.</summary>
    public bool SummaryIsHtml { get; init; }

    public string? Author { get; init; }
    public string? Language { get; init; }
    public bool HasMedia { get; init; }
    public IReadOnlyList<FeedLink> Links { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
}

/// <summary>A feed or CAP document that cannot be read, with a reason an operator can act on.</summary>
public sealed class FeedFormatException : Exception
{
    public FeedFormatException(string message) : base(message)
    {
    }

    public FeedFormatException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>When the document is well-formed but not a feed: the local name of its root element (e.g. a bare CAP <c>alert</c>).</summary>
    public string? RootElement { get; init; }

    public FeedFormatException()
    {
    }
}
