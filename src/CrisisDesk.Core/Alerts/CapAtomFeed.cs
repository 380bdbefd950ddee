using System.Globalization;
using System.Text;
using System.Xml;

namespace CrisisDesk.Core.Alerts;

/// <summary>What the public CAP feed says about one alert: its identity, its headline and the CAP fields aggregators filter on.</summary>
public sealed record CapFeedEntry
{
    public required string Identifier { get; init; }
    public required string Sender { get; init; }
    public required DateTimeOffset Sent { get; init; }
    public required CapStatus Status { get; init; }
    public required CapMsgType MsgType { get; init; }
    public required string Headline { get; init; }
    public string? Summary { get; init; }

    /// <summary>Who the feed names as author; the sender id when not set.</summary>
    public string? SenderName { get; init; }

    public required string Event { get; init; }
    public EquatableList<CapCategory> Categories { get; init; } = [];
    public required CapUrgency Urgency { get; init; }
    public required CapSeverity Severity { get; init; }
    public required CapCertainty Certainty { get; init; }
    public DateTimeOffset? Effective { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public string? AreaDesc { get; init; }

    /// <summary>The first info block's polygons and circles, as CAP writes them (feeds such as the NWS's carry them so that readers can map alerts without fetching each).</summary>
    public EquatableList<CapPolygon> Polygons { get; init; } = [];
    public EquatableList<CapCircle> Circles { get; init; } = [];

    /// <summary>The feed's view of an alert: its first info block, the way CAP feeds index alerts.</summary>
    public static CapFeedEntry From(CapAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var info = alert.Infos.Count > 0
            ? alert.Infos[0]
            : throw new ArgumentException($"alert {alert.Identifier} has no info block: a feed entry needs its headline and event", nameof(alert));
        return new CapFeedEntry
        {
            Identifier = alert.Identifier,
            Sender = alert.Sender,
            Sent = alert.Sent,
            Status = alert.Status,
            MsgType = alert.MsgType,
            Headline = info.Headline ?? info.Event,
            Summary = info.Description,
            SenderName = info.SenderName,
            Event = info.Event,
            Categories = info.Categories,
            Urgency = info.Urgency,
            Severity = info.Severity,
            Certainty = info.Certainty,
            Effective = info.Effective,
            Expires = info.Expires,
            AreaDesc = info.Areas.Count > 0 ? string.Join("; ", info.Areas.Select(a => a.AreaDesc)) : null,
            Polygons = new(info.Areas.SelectMany(a => a.Polygons)),
            Circles = new(info.Areas.SelectMany(a => a.Circles)),
        };
    }
}

/// <summary>
/// Writes the public Atom (RFC 4287) feed of CAP alerts the way CAP feeds are published for aggregators (the OASIS
/// "CAP feeds" practice, as national weather services do): one entry per alert, linked to the alert's own CAP document
/// with <c>rel="alternate" type="application/cap+xml"</c>, plus the CAP fields readers filter on in the CAP namespace.
/// </summary>
public static class CapAtomFeed
{
    public const string AtomNamespace = "http://www.w3.org/2005/Atom";
    public const string MediaType = "application/atom+xml";
    public const string FeedPath = "cap/feed.atom";

    /// <summary>Where an alert's own CAP document lives, relative to the site's base URL.</summary>
    public static string AlertPath(string identifier) => "cap/alerts/" + Uri.EscapeDataString(identifier) + ".xml";

    public static Uri AlertUrl(Uri baseUrl, string identifier) => new(WithSlash(baseUrl), AlertPath(identifier));

    /// <param name="baseUrl">The site root, e.g. https://alerts.example.gov/.</param>
    /// <param name="title">The feed title, e.g. "Riverside Council emergency alerts".</param>
    /// <param name="authorName">Who publishes the feed.</param>
    /// <param name="alerts">Newest first, as feed readers expect.</param>
    /// <param name="updated">When the feed last changed; defaults to the newest alert's sent time.</param>
    public static string Write(Uri baseUrl, string title, string authorName, IReadOnlyList<CapFeedEntry> alerts, DateTimeOffset? updated = null)
    {
        using var text = new Utf8StringWriter();
        WriteTo(text, baseUrl, title, authorName, alerts, updated);
        return text.ToString();
    }

    public static void WriteTo(TextWriter output, Uri baseUrl, string title, string authorName, IReadOnlyList<CapFeedEntry> alerts, DateTimeOffset? updated = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(alerts);
        if (!baseUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("the base URL must be absolute: feed and entry ids are absolute URIs", nameof(baseUrl));
        }
        var feedUpdated = updated ?? (alerts.Count > 0
            ? alerts.Max(a => a.Sent)
            : throw new ArgumentException("an empty feed needs an explicit updated time", nameof(updated)));
        var feedUrl = new Uri(WithSlash(baseUrl), FeedPath).AbsoluteUri;

        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CloseOutput = false };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("feed", AtomNamespace);
        xml.WriteAttributeString("xmlns", "cap", null, CapXml.Namespace);
        xml.WriteElementString("id", AtomNamespace, feedUrl);
        xml.WriteElementString("title", AtomNamespace, title);
        xml.WriteElementString("updated", AtomNamespace, AtomDate(feedUpdated));
        WriteAuthor(xml, authorName);
        WriteLink(xml, "self", MediaType, feedUrl);
        xml.WriteElementString("generator", AtomNamespace, "CrisisDesk");

        foreach (var alert in alerts)
        {
            var alertUrl = AlertUrl(baseUrl, alert.Identifier).AbsoluteUri;
            xml.WriteStartElement("entry", AtomNamespace);
            xml.WriteElementString("id", AtomNamespace, alertUrl);
            xml.WriteElementString("title", AtomNamespace, alert.Headline);
            xml.WriteElementString("updated", AtomNamespace, AtomDate(alert.Sent));
            xml.WriteElementString("published", AtomNamespace, AtomDate(alert.Sent));
            WriteAuthor(xml, alert.SenderName ?? alert.Sender);
            WriteLink(xml, "alternate", CapXml.MediaType, alertUrl);
            xml.WriteElementString("summary", AtomNamespace, alert.Summary ?? alert.Headline);
            foreach (var category in alert.Categories)
            {
                xml.WriteStartElement("category", AtomNamespace);
                xml.WriteAttributeString("term", category.ToString());
                xml.WriteAttributeString("scheme", CapXml.Namespace + ":category");
                xml.WriteEndElement();
            }
            WriteCap(xml, "identifier", alert.Identifier);
            WriteCap(xml, "sender", alert.Sender);
            WriteCap(xml, "sent", CapDateTime.Format(alert.Sent));
            WriteCap(xml, "status", alert.Status.ToString());
            WriteCap(xml, "msgType", alert.MsgType.ToString());
            foreach (var category in alert.Categories)
            {
                WriteCap(xml, "category", category.ToString());
            }
            WriteCap(xml, "event", alert.Event);
            WriteCap(xml, "urgency", alert.Urgency.ToString());
            WriteCap(xml, "severity", alert.Severity.ToString());
            WriteCap(xml, "certainty", alert.Certainty.ToString());
            if (alert.Effective is { } effective)
            {
                WriteCap(xml, "effective", CapDateTime.Format(effective));
            }
            if (alert.Expires is { } expires)
            {
                WriteCap(xml, "expires", CapDateTime.Format(expires));
            }
            if (alert.AreaDesc is { } areaDesc)
            {
                WriteCap(xml, "areaDesc", areaDesc);
            }
            foreach (var polygon in alert.Polygons)
            {
                WriteCap(xml, "polygon", polygon.ToString());
            }
            foreach (var circle in alert.Circles)
            {
                WriteCap(xml, "circle", circle.ToString());
            }
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteAuthor(XmlWriter xml, string name)
    {
        xml.WriteStartElement("author", AtomNamespace);
        xml.WriteElementString("name", AtomNamespace, name);
        xml.WriteEndElement();
    }

    private static void WriteLink(XmlWriter xml, string rel, string type, string href)
    {
        xml.WriteStartElement("link", AtomNamespace);
        xml.WriteAttributeString("rel", rel);
        xml.WriteAttributeString("type", type);
        xml.WriteAttributeString("href", href);
        xml.WriteEndElement();
    }

    private static void WriteCap(XmlWriter xml, string name, string value) => xml.WriteElementString(name, CapXml.Namespace, value);

    /// <summary>RFC 3339 as Atom wants it; UTC as +00:00 (RFC 3339 reads -00:00 as "offset unknown").</summary>
    private static string AtomDate(DateTimeOffset value) =>
        new DateTimeOffset(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), value.Offset)
            .ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static Uri WithSlash(Uri baseUrl) =>
        baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");

    private sealed class Utf8StringWriter() : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
