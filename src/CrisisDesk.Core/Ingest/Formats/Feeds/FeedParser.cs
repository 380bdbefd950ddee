using System.Xml;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// Reads RSS 2.0 (and RSS 1.0/RDF), and Atom (RFC 4287, also the older 0.3 namespace) through <see cref="SafeXml"/>.
/// Lenient where real feeds are sloppy (unknown elements, HTML inside description, odd dates), strict where it
/// matters: a DTD, malformed XML or a document that is not a feed is a <see cref="FeedFormatException"/>.
/// </summary>
public static class FeedParser
{
    public const string AtomNamespace = "http://www.w3.org/2005/Atom";
    private const string Atom03Namespace = "http://purl.org/atom/ns#";
    private const string Rss10Namespace = "http://purl.org/rss/1.0/";
    private const string RdfNamespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private const string ContentNamespace = "http://purl.org/rss/1.0/modules/content/";
    private const string DcNamespace = "http://purl.org/dc/elements/1.1/";
    private const string MediaNamespace = "http://search.yahoo.com/mrss/";

    public static FeedDocument Parse(ReadOnlySpan<byte> document, long maxCharacters = SafeXml.MaxDocumentCharacters) =>
        FeedXml.Read(document, ReadDocument, maxCharacters);

    private static FeedDocument ReadDocument(XmlReader reader)
    {
        if (reader.MoveToContent() != XmlNodeType.Element)
        {
            throw new FeedFormatException("not a feed: the document has no root element");
        }

        return (reader.LocalName, reader.NamespaceURI) switch
        {
            ("rss", "") => ReadRss(reader),
            ("feed", AtomNamespace or Atom03Namespace) => ReadAtom(reader),
            ("RDF", RdfNamespace) => ReadRdf(reader),
            var (name, ns) => throw new FeedFormatException($"not a feed: the root element is <{name}>{(ns.Length > 0 ? " in namespace " + ns : "")}, expected <rss> or an Atom <feed>") { RootElement = name },
        };
    }

    private static FeedDocument ReadRss(XmlReader reader)
    {
        string? title = null, link = null, language = null;
        var entries = new List<FeedEntry>();
        var sawChannel = false;
        FeedXml.ForEachChild(reader, channel =>
        {
            if (channel.LocalName != "channel" || channel.NamespaceURI.Length != 0)
            {
                channel.Skip();
                return;
            }

            sawChannel = true;
            FeedXml.ForEachChild(channel, e =>
            {
                switch (e.NamespaceURI.Length == 0 ? e.LocalName : null)
                {
                    case "title": title = Clean(FeedXml.ReadText(e)); break;
                    case "link": link = Clean(FeedXml.ReadText(e)); break;
                    case "language": language = Clean(FeedXml.ReadText(e)); break;
                    case "item": entries.Add(ReadRssItem(e)); break;
                    default: e.Skip(); break;
                }
            });
        });

        return sawChannel
            ? new FeedDocument(FeedKind.Rss, title, link, language, entries)
            : throw new FeedFormatException("not a feed: <rss> has no <channel>");
    }

    private static FeedDocument ReadRdf(XmlReader reader)
    {
        string? title = null, link = null;
        var entries = new List<FeedEntry>();
        FeedXml.ForEachChild(reader, e =>
        {
            if (e.NamespaceURI != Rss10Namespace)
            {
                e.Skip();
            }
            else if (e.LocalName == "channel")
            {
                FeedXml.ForEachChild(e, c =>
                {
                    switch (c.NamespaceURI == Rss10Namespace ? c.LocalName : null)
                    {
                        case "title": title = Clean(FeedXml.ReadText(c)); break;
                        case "link": link = Clean(FeedXml.ReadText(c)); break;
                        default: c.Skip(); break;
                    }
                });
            }
            else if (e.LocalName == "item")
            {
                var about = e.GetAttribute("about", RdfNamespace);
                var item = ReadRssItem(e, Rss10Namespace);
                entries.Add(item with { Id = item.Id ?? Clean(about) });
            }
            else
            {
                e.Skip();
            }
        });

        return new FeedDocument(FeedKind.Rss, title, link, null, entries);
    }

    private static FeedEntry ReadRssItem(XmlReader reader, string itemNamespace = "")
    {
        string? id = null, title = null, link = null, published = null, dcDate = null, description = null, content = null, author = null;
        var hasMedia = false;
        var links = new List<FeedLink>();
        var categories = new List<string>();
        FeedXml.ForEachChild(reader, e =>
        {
            var ns = e.NamespaceURI;
            if (ns == itemNamespace)
            {
                switch (e.LocalName)
                {
                    case "guid": id = Clean(FeedXml.ReadText(e)); return;
                    case "title": title = FeedXml.ReadText(e); return;
                    case "link": link = Clean(FeedXml.ReadText(e)); return;
                    case "description": description = FeedXml.ReadText(e); return;
                    case "pubDate": published = Clean(FeedXml.ReadText(e)); return;
                    case "author": author ??= RssAuthorName(FeedXml.ReadText(e)); return;
                    case "category": AddClean(categories, FeedXml.ReadText(e)); return;
                    case "enclosure":
                        var url = e.GetAttribute("url");
                        var type = e.GetAttribute("type");
                        if (!string.IsNullOrWhiteSpace(url))
                        {
                            links.Add(new FeedLink(url.Trim(), "enclosure", type));
                        }

                        hasMedia |= type is null || type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("video/", StringComparison.OrdinalIgnoreCase);
                        e.Skip();
                        return;
                }
            }
            else if (ns == ContentNamespace && e.LocalName == "encoded")
            {
                content = FeedXml.ReadText(e);
                return;
            }
            else if (ns == DcNamespace && e.LocalName is "creator" or "date")
            {
                var isCreator = e.LocalName == "creator";
                var value = Clean(FeedXml.ReadText(e));
                if (isCreator)
                {
                    author ??= value;
                }
                else
                {
                    dcDate = value;
                }

                return;
            }
            else if (ns == MediaNamespace)
            {
                hasMedia = true;
            }
            else if (ns == AtomNamespace && e.LocalName == "link")
            {
                AddAtomLink(e, links);
                e.Skip();
                return;
            }

            e.Skip();
        });

        if (link is not null)
        {
            links.Insert(0, new FeedLink(link, "alternate", null));
        }

        var summary = string.IsNullOrWhiteSpace(description) ? content : description;
        return new FeedEntry
        {
            Id = id,
            Title = title,
            Link = link,
            Published = published ?? dcDate,
            Summary = summary,
            SummaryIsHtml = true,
            Author = author,
            HasMedia = hasMedia,
            Links = links,
            Categories = categories,
        };
    }

    private static FeedDocument ReadAtom(XmlReader reader)
    {
        var ns = reader.NamespaceURI;
        var language = reader.XmlLang;
        string? title = null, link = null;
        var entries = new List<FeedEntry>();
        FeedXml.ForEachChild(reader, e =>
        {
            switch (e.NamespaceURI == ns ? e.LocalName : null)
            {
                case "title": title = AtomText(e, out _); break;
                case "link":
                    var rel = e.GetAttribute("rel") ?? "alternate";
                    if (rel == "alternate" && link is null)
                    {
                        link = Clean(e.GetAttribute("href"));
                    }

                    e.Skip();
                    break;
                case "entry": entries.Add(ReadAtomEntry(e, ns)); break;
                default: e.Skip(); break;
            }
        });

        return new FeedDocument(FeedKind.Atom, Clean(title), link, Clean(language), entries);
    }

    private static FeedEntry ReadAtomEntry(XmlReader reader, string ns)
    {
        var language = reader.XmlLang;
        string? id = null, title = null, published = null, updated = null, summary = null, content = null, author = null;
        bool summaryIsHtml = false, contentIsHtml = false, hasMedia = false;
        var links = new List<FeedLink>();
        var categories = new List<string>();
        FeedXml.ForEachChild(reader, e =>
        {
            if (e.NamespaceURI == MediaNamespace)
            {
                hasMedia = true;
                e.Skip();
                return;
            }

            if (e.NamespaceURI != ns)
            {
                e.Skip();
                return;
            }

            switch (e.LocalName)
            {
                case "id": id = Clean(FeedXml.ReadText(e)); break;
                case "title":
                    var text = AtomText(e, out var titleIsHtml);
                    title = titleIsHtml ? HtmlText.ToPlainText(text) : text;
                    break;
                case "published" or "issued": published = Clean(FeedXml.ReadText(e)); break;
                case "updated" or "modified": updated = Clean(FeedXml.ReadText(e)); break;
                case "summary": summary = AtomText(e, out summaryIsHtml); break;
                case "content":
                    if (e.GetAttribute("src") is { Length: > 0 } src)
                    {
                        links.Add(new FeedLink(src.Trim(), "content", e.GetAttribute("type")));
                        e.Skip();
                    }
                    else
                    {
                        content = AtomText(e, out contentIsHtml);
                    }

                    break;
                case "author":
                    FeedXml.ForEachChild(e, a =>
                    {
                        if (a.LocalName == "name" && a.NamespaceURI == ns)
                        {
                            author ??= Clean(FeedXml.ReadText(a));
                        }
                        else
                        {
                            a.Skip();
                        }
                    });
                    break;
                case "category":
                    AddClean(categories, e.GetAttribute("label") ?? e.GetAttribute("term"));
                    e.Skip();
                    break;
                case "link":
                    var added = AddAtomLink(e, links);
                    hasMedia |= added is { Rel: "enclosure" } && (added.Type is null || added.Type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || added.Type.StartsWith("video/", StringComparison.OrdinalIgnoreCase));
                    e.Skip();
                    break;
                default: e.Skip(); break;
            }
        });

        var useContent = string.IsNullOrWhiteSpace(summary);
        return new FeedEntry
        {
            Id = id,
            Title = title,
            Link = links.FirstOrDefault(l => l.Rel == "alternate")?.Href,
            Published = published,
            Updated = updated,
            Summary = useContent ? content : summary,
            SummaryIsHtml = useContent ? contentIsHtml : summaryIsHtml,
            Author = author,
            Language = Clean(language),
            HasMedia = hasMedia,
            Links = links,
            Categories = categories,
        };
    }

    private static FeedLink? AddAtomLink(XmlReader e, List<FeedLink> links)
    {
        var href = e.GetAttribute("href");
        if (string.IsNullOrWhiteSpace(href))
        {
            return null;
        }

        var link = new FeedLink(href.Trim(), e.GetAttribute("rel") ?? "alternate", e.GetAttribute("type"));
        links.Add(link);
        return link;
    }

    /// <summary>An Atom text construct: type "html" is HTML to strip later, "xhtml" arrives as child elements (read as text), "text" is text.</summary>
    private static string AtomText(XmlReader e, out bool isHtml)
    {
        var type = e.GetAttribute("type");
        isHtml = type is "html" or "text/html";
        return FeedXml.ReadText(e);
    }

    /// <summary>RSS author is "email (Name)" by the spec; "Name" alone is common.</summary>
    private static string? RssAuthorName(string value)
    {
        var text = value.Trim();
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        return open >= 0 && close > open + 1 ? text[(open + 1)..close].Trim() : Clean(text);
    }

    private static void AddClean(List<string> list, string? value)
    {
        if (Clean(value) is { } clean)
        {
            list.Add(clean);
        }
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
