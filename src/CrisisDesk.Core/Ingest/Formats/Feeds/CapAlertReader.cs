using System.Xml;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>What the war-room feed shows of another agency's CAP alert: only the fields it needs, not a full CAP model.</summary>
public sealed record CapAlertSummary(
    string Identifier,
    string Sender,
    string Sent,
    string? Status,
    string? MsgType,
    string? Note,
    IReadOnlyList<CapInfoSummary> Infos);

public sealed record CapInfoSummary
{
    public string? Language { get; init; }
    public string? Event { get; init; }
    public string? Urgency { get; init; }
    public string? Severity { get; init; }
    public string? Certainty { get; init; }
    public string? Expires { get; init; }
    public string? SenderName { get; init; }
    public string? Headline { get; init; }
    public string? Description { get; init; }
    public string? Web { get; init; }
    public IReadOnlyList<string> AreaDescs { get; init; } = [];

    /// <summary>Each area's polygons and circles as the document writes them (not yet checked).</summary>
    public IReadOnlyList<string> Polygons { get; init; } = [];
    public IReadOnlyList<string> Circles { get; init; } = [];
}

/// <summary>
/// A small focused reader of CAP 1.2 and 1.1 alerts (namespaces <c>urn:oasis:names:tc:emergency:cap:1.2</c> / <c>:1.1</c>)
/// through <see cref="SafeXml"/>. Missing <c>identifier</c>, <c>sender</c> or <c>sent</c> is a format error.
/// </summary>
public static class CapAlertReader
{
    public const string Cap12Namespace = "urn:oasis:names:tc:emergency:cap:1.2";
    public const string Cap11Namespace = "urn:oasis:names:tc:emergency:cap:1.1";

    /// <summary>CAP documents are small; this is far above any real alert and far below a memory problem.</summary>
    public const long MaxAlertCharacters = 1024 * 1024;

    public static CapAlertSummary Read(ReadOnlySpan<byte> document) => FeedXml.Read(document, ReadAlert, MaxAlertCharacters);

    private static CapAlertSummary ReadAlert(XmlReader reader)
    {
        if (reader.MoveToContent() != XmlNodeType.Element)
        {
            throw new FeedFormatException("not a CAP alert: the document has no root element");
        }

        var ns = reader.NamespaceURI;
        if (reader.LocalName != "alert" || ns is not (Cap12Namespace or Cap11Namespace))
        {
            throw new FeedFormatException($"not a CAP 1.1/1.2 alert: the root element is <{reader.LocalName}> in namespace '{ns}'");
        }

        string? identifier = null, sender = null, sent = null, status = null, msgType = null, note = null;
        var infos = new List<CapInfoSummary>();
        FeedXml.ForEachChild(reader, e =>
        {
            switch (e.NamespaceURI == ns ? e.LocalName : null)
            {
                case "identifier": identifier = Clean(FeedXml.ReadText(e)); break;
                case "sender": sender = Clean(FeedXml.ReadText(e)); break;
                case "sent": sent = Clean(FeedXml.ReadText(e)); break;
                case "status": status = Clean(FeedXml.ReadText(e)); break;
                case "msgType": msgType = Clean(FeedXml.ReadText(e)); break;
                case "note": note = Clean(FeedXml.ReadText(e)); break;
                case "info": infos.Add(ReadInfo(e, ns)); break;
                default: e.Skip(); break;
            }
        });

        var missing = new[] { ("identifier", identifier), ("sender", sender), ("sent", sent) }.Where(f => f.Item2 is null).Select(f => f.Item1).ToArray();
        if (missing.Length > 0)
        {
            throw new FeedFormatException("CAP alert lacks required " + string.Join(", ", missing));
        }

        return new CapAlertSummary(identifier!, sender!, sent!, status, msgType, note, infos);
    }

    private static CapInfoSummary ReadInfo(XmlReader reader, string ns)
    {
        var info = new CapInfoSummary();
        var areas = new List<string>();
        var polygons = new List<string>();
        var circles = new List<string>();
        FeedXml.ForEachChild(reader, e =>
        {
            if (e.NamespaceURI != ns)
            {
                e.Skip();
                return;
            }

            switch (e.LocalName)
            {
                case "language": info = info with { Language = Clean(FeedXml.ReadText(e)) }; break;
                case "event": info = info with { Event = Clean(FeedXml.ReadText(e)) }; break;
                case "urgency": info = info with { Urgency = Clean(FeedXml.ReadText(e)) }; break;
                case "severity": info = info with { Severity = Clean(FeedXml.ReadText(e)) }; break;
                case "certainty": info = info with { Certainty = Clean(FeedXml.ReadText(e)) }; break;
                case "expires": info = info with { Expires = Clean(FeedXml.ReadText(e)) }; break;
                case "senderName": info = info with { SenderName = Clean(FeedXml.ReadText(e)) }; break;
                case "headline": info = info with { Headline = Clean(FeedXml.ReadText(e)) }; break;
                case "description": info = info with { Description = Clean(FeedXml.ReadText(e)) }; break;
                case "web": info = info with { Web = Clean(FeedXml.ReadText(e)) }; break;
                case "area":
                    FeedXml.ForEachChild(e, a =>
                    {
                        if (a.LocalName == "areaDesc" && a.NamespaceURI == ns)
                        {
                            if (Clean(FeedXml.ReadText(a)) is { } desc)
                            {
                                areas.Add(desc);
                            }
                        }
                        else if (a.LocalName is "polygon" or "circle" && a.NamespaceURI == ns)
                        {
                            var shapes = a.LocalName == "polygon" ? polygons : circles;
                            if (Clean(FeedXml.ReadText(a)) is { } shape)
                            {
                                shapes.Add(shape);
                            }
                        }
                        else
                        {
                            a.Skip();
                        }
                    });
                    break;
                default: e.Skip(); break;
            }
        });

        return info with { AreaDescs = areas, Polygons = polygons, Circles = circles };
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
