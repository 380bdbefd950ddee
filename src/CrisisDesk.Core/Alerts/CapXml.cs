using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.Core.Alerts;

/// <summary>A CAP document that cannot be read into the model; the message names the field and what is wrong.</summary>
public sealed class CapFormatException : Exception
{
    public CapFormatException(string message) : base(message) { }
    public CapFormatException(string message, Exception inner) : base(message, inner) { }
    public CapFormatException() { }
}

/// <summary>Writes a <see cref="CapAlert"/> as CAP 1.2 XML and reads CAP 1.2 XML back, through <see cref="SafeXml"/> only.</summary>
public static class CapXml
{
    public const string Namespace = "urn:oasis:names:tc:emergency:cap:1.2";
    public const string Cap11Namespace = "urn:oasis:names:tc:emergency:cap:1.1";
    public const string Cap10Namespace = "http://www.incident.com/cap/1.0";
    public const string MediaType = "application/cap+xml";

    private static readonly XNamespace Cap = Namespace;

    // ---------------------------------------------------------------- writing

    /// <summary>The alert as a CAP 1.2 document (UTF-8 declaration, CAP element order).</summary>
    public static string Write(CapAlert alert)
    {
        using var text = new Utf8StringWriter();
        WriteTo(alert, text);
        return text.ToString();
    }

    public static byte[] WriteUtf8(CapAlert alert) => new UTF8Encoding(false).GetBytes(Write(alert));

    public static void WriteTo(CapAlert alert, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CloseOutput = false };
        using var xml = XmlWriter.Create(output, settings);
        ToXDocument(alert).Save(xml);
    }

    private static XDocument ToXDocument(CapAlert alert)
    {
        var root = new XElement(Cap + "alert",
            Element("identifier", alert.Identifier),
            Element("sender", alert.Sender),
            Element("sent", CapDateTime.Format(alert.Sent)),
            Element("status", alert.Status.ToString()),
            Element("msgType", alert.MsgType.ToString()),
            Element("source", alert.Source),
            Element("scope", alert.Scope.ToString()),
            Element("restriction", alert.Restriction),
            alert.Addresses.Count > 0 ? Element("addresses", CapText.JoinQuotedList(alert.Addresses)) : null,
            alert.Codes.Select(code => Element("code", code)),
            Element("note", alert.Note),
            alert.References.Count > 0 ? Element("references", string.Join(' ', alert.References)) : null,
            alert.Incidents.Count > 0 ? Element("incidents", CapText.JoinQuotedList(alert.Incidents)) : null,
            alert.Infos.Select(InfoElement));
        return new XDocument(new XDeclaration("1.0", "UTF-8", null), root);
    }

    private static XElement InfoElement(CapInfo info) => new(Cap + "info",
        Element("language", info.Language),
        info.Categories.Select(category => Element("category", category.ToString())),
        Element("event", info.Event),
        info.ResponseTypes.Select(response => Element("responseType", response.ToString())),
        Element("urgency", info.Urgency.ToString()),
        Element("severity", info.Severity.ToString()),
        Element("certainty", info.Certainty.ToString()),
        Element("audience", info.Audience),
        info.EventCodes.Select(pair => PairElement("eventCode", pair)),
        Element("effective", Date(info.Effective)),
        Element("onset", Date(info.Onset)),
        Element("expires", Date(info.Expires)),
        Element("senderName", info.SenderName),
        Element("headline", info.Headline),
        Element("description", info.Description),
        Element("instruction", info.Instruction),
        Element("web", info.Web),
        Element("contact", info.Contact),
        info.Parameters.Select(pair => PairElement("parameter", pair)),
        info.Resources.Select(ResourceElement),
        info.Areas.Select(AreaElement));

    private static XElement ResourceElement(CapResource resource) => new(Cap + "resource",
        Element("resourceDesc", resource.ResourceDesc),
        Element("mimeType", resource.MimeType),
        Element("size", resource.Size?.ToString(CultureInfo.InvariantCulture)),
        Element("uri", resource.Uri),
        Element("derefUri", resource.DerefUri),
        Element("digest", resource.Digest));

    private static XElement AreaElement(CapArea area) => new(Cap + "area",
        Element("areaDesc", area.AreaDesc),
        area.Polygons.Select(polygon => Element("polygon", polygon.ToString())),
        area.Circles.Select(circle => Element("circle", circle.ToString())),
        area.Geocodes.Select(pair => PairElement("geocode", pair)),
        Element("altitude", area.Altitude?.ToString(CultureInfo.InvariantCulture)),
        Element("ceiling", area.Ceiling?.ToString(CultureInfo.InvariantCulture)));

    private static XElement PairElement(string name, CapValuePair pair) =>
        new(Cap + name, Element("valueName", pair.ValueName), Element("value", pair.Value));

    private static XElement? Element(string name, string? value) => value is null ? null : new XElement(Cap + name, value);

    private static string? Date(DateTimeOffset? value) => value is { } v ? CapDateTime.Format(v) : null;

    private sealed class Utf8StringWriter() : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }

    // ---------------------------------------------------------------- reading

    /// <summary>Reads a CAP 1.2 document. Throws <see cref="CapFormatException"/> with a plain reason when it cannot.</summary>
    public static CapAlert Read(string xml)
    {
        using var text = new StringReader(xml);
        return FromXDocument(LoadSafely(text));
    }

    public static CapAlert Read(Stream xml) => FromXDocument(LoadSafely(xml));

    /// <summary>
    /// Loads outside XML through <see cref="SafeXml"/>: a DTD (and so any external entity or entity bomb) is refused
    /// before the parser resolves anything. Errors come back as <see cref="CapFormatException"/>.
    /// </summary>
    internal static XDocument LoadSafely(TextReader input)
    {
        using var reader = SafeXml.Create(input);
        return Load(reader);
    }

    internal static XDocument LoadSafely(Stream input)
    {
        using var reader = SafeXml.Create(input);
        return Load(reader);
    }

    private static XDocument Load(XmlReader reader)
    {
        try
        {
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlLimitException e)
        {
            throw new CapFormatException("refused: " + e.Message, e);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new CapFormatException(
                "the document has a DTD (<!DOCTYPE ...>); DTDs are refused so that no external entity is ever fetched or expanded, and CAP documents never need one",
                e);
        }
        catch (XmlException e)
        {
            throw new CapFormatException("not well-formed XML: " + e.Message, e);
        }
    }

    /// <summary>Null when the root is a CAP 1.2 alert; otherwise a plain explanation (including other CAP versions).</summary>
    internal static string? DescribeRootProblem(XElement? root)
    {
        if (root is null)
        {
            return "the document has no root element";
        }
        if (root.Name == Cap + "alert")
        {
            return null;
        }
        var ns = root.Name.NamespaceName;
        if (root.Name.LocalName == "alert" && (ns == Cap11Namespace || ns == Cap10Namespace))
        {
            var version = ns == Cap11Namespace ? "1.1" : "1.0";
            return $"this is a CAP {version} alert (namespace '{ns}'); only CAP 1.2 (namespace '{Namespace}') is accepted";
        }
        return $"the root element is '{root.Name.LocalName}' in namespace '{ns}', not a CAP 1.2 'alert' (namespace '{Namespace}')";
    }

    private static CapAlert FromXDocument(XDocument document)
    {
        var root = document.Root;
        if (DescribeRootProblem(root) is { } problem)
        {
            throw new CapFormatException(problem);
        }
        var alert = root!;
        var scope = alert.Element(Cap + "scope");
        return new CapAlert
        {
            Identifier = Required(alert, "identifier", "alert"),
            Sender = Required(alert, "sender", "alert"),
            Sent = RequiredDate(alert, "sent", "alert"),
            Status = RequiredEnum<CapStatus>(alert, "status", "alert"),
            MsgType = RequiredEnum<CapMsgType>(alert, "msgType", "alert"),
            Source = Optional(alert, "source"),
            Scope = RequiredEnum<CapScope>(alert, "scope", "alert"),
            Restriction = Optional(alert, "restriction"),
            Addresses = QuotedList(alert, "addresses"),
            Codes = [.. alert.Elements(Cap + "code").Select((e, i) => Text(e, $"code[{i + 1}]"))],
            Note = Optional(alert, "note"),
            References = References(alert),
            Incidents = QuotedList(alert, "incidents"),
            Infos = [.. alert.Elements(Cap + "info").Select((info, i) => ReadInfo(info, $"info[{i + 1}]"))],
        };
    }

    private static CapInfo ReadInfo(XElement info, string path) => new()
    {
        Language = Optional(info, "language", path),
        Categories = [.. info.Elements(Cap + "category").Select((e, i) => ParseEnum<CapCategory>(Text(e, $"{path}.category[{i + 1}]"), $"{path}.category[{i + 1}]"))],
        Event = Required(info, "event", path),
        ResponseTypes = [.. info.Elements(Cap + "responseType").Select((e, i) => ParseEnum<CapResponseType>(Text(e, $"{path}.responseType[{i + 1}]"), $"{path}.responseType[{i + 1}]"))],
        Urgency = RequiredEnum<CapUrgency>(info, "urgency", path),
        Severity = RequiredEnum<CapSeverity>(info, "severity", path),
        Certainty = RequiredEnum<CapCertainty>(info, "certainty", path),
        Audience = Optional(info, "audience", path),
        EventCodes = Pairs(info, "eventCode", path),
        Effective = OptionalDate(info, "effective", path),
        Onset = OptionalDate(info, "onset", path),
        Expires = OptionalDate(info, "expires", path),
        SenderName = Optional(info, "senderName", path),
        Headline = Optional(info, "headline", path),
        Description = Optional(info, "description", path),
        Instruction = Optional(info, "instruction", path),
        Web = Optional(info, "web", path),
        Contact = Optional(info, "contact", path),
        Parameters = Pairs(info, "parameter", path),
        Resources = [.. info.Elements(Cap + "resource").Select((e, i) => ReadResource(e, $"{path}.resource[{i + 1}]"))],
        Areas = [.. info.Elements(Cap + "area").Select((e, i) => ReadArea(e, $"{path}.area[{i + 1}]"))],
    };

    private static CapResource ReadResource(XElement resource, string path) => new()
    {
        ResourceDesc = Required(resource, "resourceDesc", path),
        MimeType = Required(resource, "mimeType", path),
        Size = Optional(resource, "size", path) is { } size
            ? long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
                ? bytes
                : throw new CapFormatException($"{path}.size: '{size}' is not a whole number of bytes")
            : null,
        Uri = Optional(resource, "uri", path),
        DerefUri = Optional(resource, "derefUri", path),
        Digest = Optional(resource, "digest", path),
    };

    private static CapArea ReadArea(XElement area, string path) => new()
    {
        AreaDesc = Required(area, "areaDesc", path),
        Polygons = [.. area.Elements(Cap + "polygon").Select((e, i) => CapPolygon.TryParse(Text(e, $"{path}.polygon[{i + 1}]"), out var polygon)
            ? polygon!
            : throw new CapFormatException($"{path}.polygon[{i + 1}]: '{e.Value}' is not a list of 'latitude,longitude' pairs"))],
        Circles = [.. area.Elements(Cap + "circle").Select((e, i) => CapCircle.TryParse(Text(e, $"{path}.circle[{i + 1}]"), out var circle)
            ? circle!
            : throw new CapFormatException($"{path}.circle[{i + 1}]: '{e.Value}' is not in the form 'latitude,longitude radius'"))],
        Geocodes = Pairs(area, "geocode", path),
        Altitude = OptionalDecimal(area, "altitude", path),
        Ceiling = OptionalDecimal(area, "ceiling", path),
    };

    private static EquatableList<CapValuePair> Pairs(XElement parent, string name, string path) =>
        [.. parent.Elements(Cap + name).Select((e, i) => new CapValuePair(
            Required(e, "valueName", $"{path}.{name}[{i + 1}]"),
            Optional(e, "value", $"{path}.{name}[{i + 1}]") ?? throw new CapFormatException($"{path}.{name}[{i + 1}].value is missing")))];

    private static EquatableList<CapReference> References(XElement alert)
    {
        if (Optional(alert, "references") is not { } text)
        {
            return [];
        }
        var references = new List<CapReference>();
        foreach (var triple in CapText.SplitWhitespace(text))
        {
            references.Add(CapReferences.TryParse(triple, out var reference)
                ? reference!
                : throw new CapFormatException($"references: '{triple}' is not of the form sender,identifier,sent"));
        }
        return new EquatableList<CapReference>(references);
    }

    private static EquatableList<string> QuotedList(XElement alert, string name)
    {
        if (Optional(alert, name) is not { } text)
        {
            return [];
        }
        return CapText.SplitQuotedList(text) is { } items
            ? new EquatableList<string>(items)
            : throw new CapFormatException($"{name}: a double quote is opened and never closed");
    }

    private static string? Optional(XElement parent, string name, string path = "alert") =>
        parent.Element(Cap + name) is { } element ? Text(element, Join(path, name)) : null;

    private static string Required(XElement parent, string name, string path) =>
        Optional(parent, name, path) ?? throw new CapFormatException($"{Join(path, name)} is missing; CAP requires it");

    /// <summary>The text of a CAP text element; CAP's text elements hold text only, so markup inside is refused, not flattened.</summary>
    private static string Text(XElement element, string path) =>
        element.FirstNode is null || element.Nodes().All(n => n is XText)
            ? element.Value
            : throw new CapFormatException($"{path}: {DescribeMarkup(element)}");

    /// <summary>Why an element that should hold text is refused; shared with the validator so both say the same.</summary>
    internal static string DescribeMarkup(XElement element) =>
        $"{element.Name.LocalName} holds the element <{element.Elements().First().Name.LocalName}>; CAP text elements hold text only (escape '<' as &lt; to show it)";

    private static T RequiredEnum<T>(XElement parent, string name, string path) where T : struct, Enum =>
        ParseEnum<T>(Required(parent, name, path), Join(path, name));

    private static DateTimeOffset RequiredDate(XElement parent, string name, string path) =>
        ParseDate(Required(parent, name, path), Join(path, name));

    private static DateTimeOffset? OptionalDate(XElement parent, string name, string path) =>
        Optional(parent, name, path) is { } text ? ParseDate(text, Join(path, name)) : null;

    private static decimal? OptionalDecimal(XElement parent, string name, string path) =>
        Optional(parent, name, path) is { } text
            ? CapNumber.TryParse(text.Trim(), out var value) ? value : throw new CapFormatException($"{Join(path, name)}: '{text}' is not a number")
            : null;

    private static DateTimeOffset ParseDate(string text, string path) =>
        CapDateTime.TryParse(text.Trim(), out var value) ? value : throw new CapFormatException($"{path}: {CapDateTime.DescribeProblem(text.Trim())}");

    internal static T ParseEnum<T>(string text, string path) where T : struct, Enum =>
        CapCodes.TryParse<T>(text.Trim(), out var value)
            ? value
            : throw new CapFormatException($"{path}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}");

    private static string Join(string path, string name) => path == "alert" ? name : path + "." + name;
}

/// <summary>CAP code values are the enum member names, matched exactly (no numbers, no other casing).</summary>
internal static class CapCodes
{
    public static bool TryParse<T>(string text, out T value) where T : struct, Enum
    {
        value = default;
        return Enum.GetNames<T>().Contains(text, StringComparer.Ordinal) && Enum.TryParse(text, ignoreCase: false, out value);
    }
}

/// <summary>Reading one <c>sender,identifier,sent</c> triple of <c>references</c>.</summary>
internal static class CapReferences
{
    public static bool TryParse(string triple, out CapReference? reference)
    {
        reference = null;
        var parts = triple.Split(',');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !CapDateTime.TryParse(parts[2], out var sent))
        {
            return false;
        }
        reference = new CapReference(parts[0], parts[1], sent);
        return true;
    }
}
