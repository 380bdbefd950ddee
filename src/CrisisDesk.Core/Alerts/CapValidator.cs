using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.Core.Alerts;

/// <summary>
/// Checks a CAP document against the CAP 1.2 XML schema (embedded) and against the rules of the CAP 1.2
/// specification that the schema cannot express. Outside XML is read through <see cref="SafeXml"/> only.
/// </summary>
public static partial class CapValidator
{
    /// <summary>CAP 1.2, info.headline: "160 characters MAY be a useful target limit".</summary>
    public const int HeadlineTargetLength = 160;

    private static readonly XNamespace Cap = CapXml.Namespace;
    private static readonly Lazy<XmlSchemaSet> Schema = new(LoadSchema);

    // Elements that may repeat: their paths carry a 1-based index, e.g. info[2].area[1].polygon[3].
    private static readonly HashSet<string> Repeatable =
        ["code", "info", "category", "responseType", "eventCode", "parameter", "resource", "area", "polygon", "circle", "geocode"];

    // Elements whose content is the whole point: empty is an error. Other empty elements are a warning.
    private static readonly HashSet<string> ContentRequired =
        ["identifier", "sender", "event", "areaDesc", "resourceDesc", "mimeType", "valueName"];

    // Optional elements CrisisDesk itself never sends empty (an error in its own alerts). In documents others wrote an
    // empty one is only a warning: CAP 1.2 and its schema allow it, and real national alerts carry <restriction/>,
    // <addresses/> with scope Public.
    private static readonly HashSet<string> NeverEmptyInOwnAlerts = ["restriction", "addresses", "references"];

    // Elements that hold other elements; every other CAP element holds text only.
    private static readonly HashSet<string> Containers = ["alert", "info", "area", "resource", "eventCode", "parameter", "geocode"];

    /// <summary>CrisisDesk's own alert (the composer's): held to the strict rules, so it never sends an empty element.</summary>
    public static IReadOnlyList<CapProblem> Validate(CapAlert alert) => Validate(CapXml.Write(alert), ownAlert: true);

    /// <summary>A document someone else wrote (<c>cap validate</c>, feeds): empty optional elements are warnings.</summary>
    public static IReadOnlyList<CapProblem> Validate(string xml) => Validate(xml, ownAlert: false);

    private static List<CapProblem> Validate(string xml, bool ownAlert)
    {
        using var text = new StringReader(xml);
        return Validate(() => CapXml.LoadSafely(text), ownAlert);
    }

    public static IReadOnlyList<CapProblem> Validate(Stream xml) => Validate(() => CapXml.LoadSafely(xml), ownAlert: false);

    private static List<CapProblem> Validate(Func<XDocument> load, bool ownAlert)
    {
        XDocument document;
        try
        {
            document = load();
        }
        catch (CapFormatException e)
        {
            return [new CapProblem(CapProblemSeverity.Error, "document", e.Message)];
        }
        if (CapXml.DescribeRootProblem(document.Root) is { } rootProblem)
        {
            return [new CapProblem(CapProblemSeverity.Error, "alert", rootProblem)];
        }

        var rules = new RuleChecker(ownAlert);
        rules.CheckAlert(document.Root!);

        // Schema findings on a field a rule already explained in plain words would only repeat it less clearly.
        var explained = rules.Problems.Where(p => p.IsError).Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        var schemaProblems = SchemaProblems(document).Where(p => !explained.Contains(p.Path));
        return [.. schemaProblems, .. rules.Problems];
    }

    private static List<CapProblem> SchemaProblems(XDocument document)
    {
        var problems = new List<CapProblem>();
        document.Validate(Schema.Value, (sender, e) =>
        {
            var element = sender switch
            {
                XElement el => el,
                XAttribute attribute => attribute.Parent,
                _ => null,
            };
            var message = e.Message.Replace($" in namespace '{CapXml.Namespace}'", "", StringComparison.Ordinal);
            problems.Add(new CapProblem(
                e.Severity == XmlSeverityType.Error ? CapProblemSeverity.Error : CapProblemSeverity.Warning,
                element is null ? "alert" : PathOf(element),
                "does not match the CAP 1.2 schema: " + message));
        });
        return problems;
    }

    private static XmlSchemaSet LoadSchema()
    {
        const string resource = "CrisisDesk.Core.Alerts.Schema.cap12.xsd";
        using var stream = typeof(CapValidator).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from CrisisDesk.Core");
        using var reader = SafeXml.Create(stream);
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add(XmlSchema.Read(reader, null)!);
        set.Compile();
        return set;
    }

    /// <summary>The path of an element inside the alert, e.g. <c>info[1].area[2].polygon[1]</c>; the root is <c>alert</c>.</summary>
    internal static string PathOf(XElement element)
    {
        var steps = new List<string>();
        for (var e = element; e.Parent is not null; e = e.Parent)
        {
            var name = e.Name.LocalName;
            if (Repeatable.Contains(name))
            {
                var index = e.ElementsBeforeSelf(e.Name).Count() + 1;
                name += $"[{index}]";
            }
            steps.Add(name);
        }
        steps.Reverse();
        return steps.Count == 0 ? "alert" : string.Join('.', steps);
    }

    [GeneratedRegex(@"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex MimeTypeForm();

    // An absolute URI names its scheme; .NET on Linux would otherwise take "/flood" for an absolute file path.
    private static bool IsAbsoluteUri(string text) =>
        UriScheme().IsMatch(text) && Uri.TryCreate(text, UriKind.Absolute, out _);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:", RegexOptions.CultureInvariant)]
    private static partial Regex UriScheme();

    [GeneratedRegex("^[0-9A-Fa-f]{40}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha1Hex();

    /// <summary>The specification's rules, one method per element group, each finding named by path.</summary>
    private sealed class RuleChecker(bool ownAlert)
    {
        public List<CapProblem> Problems { get; } = [];

        private void Error(XElement at, string message) => Problems.Add(new(CapProblemSeverity.Error, PathOf(at), message));
        private void Error(string path, string message) => Problems.Add(new(CapProblemSeverity.Error, path, message));
        private void Warning(XElement at, string message) => Problems.Add(new(CapProblemSeverity.Warning, PathOf(at), message));
        private void Warning(string path, string message) => Problems.Add(new(CapProblemSeverity.Warning, path, message));

        public void CheckAlert(XElement alert)
        {
            CheckEmptyElements(alert);
            var identifier = alert.Element(Cap + "identifier");
            var sender = alert.Element(Cap + "sender");
            CheckIdentifierCharacters(identifier, "identifier");
            CheckIdentifierCharacters(sender, "sender");
            var sent = CheckDate(alert.Element(Cap + "sent"));
            var status = CheckCode<CapStatus>(alert.Element(Cap + "status"), "status");
            var msgType = CheckCode<CapMsgType>(alert.Element(Cap + "msgType"), "message type");
            var scope = CheckCode<CapScope>(alert.Element(Cap + "scope"), "scope");
            _ = status;

            var restriction = alert.Element(Cap + "restriction");
            if (scope == CapScope.Restricted && IsAbsent(restriction))
            {
                Error("restriction", "scope is Restricted, so restriction is required: say who may receive the message");
            }
            if (restriction is not null && scope is { } s && s != CapScope.Restricted && !IsEmptyAndTolerated(restriction))
            {
                Error(restriction, $"restriction is only used when scope is Restricted (scope here is {s})");
            }

            var addresses = alert.Element(Cap + "addresses");
            if (scope == CapScope.Private && IsAbsent(addresses))
            {
                Error("addresses", "scope is Private, so addresses is required: list the intended recipients");
            }
            if (addresses is not null && CapText.SplitQuotedList(addresses.Value) is null)
            {
                Error(addresses, "a double quote is opened and never closed (addresses holding spaces are enclosed in double quotes)");
            }
            if (alert.Element(Cap + "incidents") is { } incidents && CapText.SplitQuotedList(incidents.Value) is null)
            {
                Error(incidents, "a double quote is opened and never closed (incident names holding spaces are enclosed in double quotes)");
            }

            CheckReferences(alert, msgType, sent, identifier?.Value, sender?.Value);

            if (msgType == CapMsgType.Error && alert.Element(Cap + "note") is null)
            {
                Warning("note", "msgType is Error: the note should explain why the referenced message was rejected");
            }

            var infos = alert.Elements(Cap + "info").ToList();
            if (infos.Count == 0 && msgType is CapMsgType.Alert or CapMsgType.Update)
            {
                Warning("alert", $"a {msgType} with no info block tells recipients nothing: add at least one info");
            }
            foreach (var info in infos)
            {
                CheckInfo(info, sent);
            }
        }

        private void CheckReferences(XElement alert, CapMsgType? msgType, DateTimeOffset? sent, string? identifier, string? sender)
        {
            var references = alert.Element(Cap + "references");
            if (references is null || IsEmptyAndTolerated(references))
            {
                if (msgType is CapMsgType.Update or CapMsgType.Cancel or CapMsgType.Ack or CapMsgType.Error)
                {
                    Error("references", $"msgType is {msgType}, so references is required: name the earlier message(s) as sender,identifier,sent");
                }
                return;
            }
            var triples = CapText.SplitWhitespace(references.Value);
            for (var i = 0; i < triples.Count; i++)
            {
                var triple = triples[i];
                var parts = triple.Split(',');
                var which = triples.Count == 1 ? $"'{triple}'" : $"entry {i + 1} '{triple}'";
                if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    Error(references, $"{which} is not of the form sender,identifier,sent (entries are separated by whitespace)");
                    continue;
                }
                if (CapDateTime.DescribeProblem(parts[2]) is { } dateProblem)
                {
                    Error(references, $"{which}: its sent part {dateProblem}");
                    continue;
                }
                CapDateTime.TryParse(parts[2], out var referencedSent);
                if (parts[0] == sender && parts[1] == identifier)
                {
                    Error(references, $"{which} refers to this message itself");
                }
                else if (sent is { } own && referencedSent > own)
                {
                    Warning(references, $"{which} refers to a message sent after this one ({parts[2]} is later than {CapDateTime.Format(own)})");
                }
            }
        }

        private void CheckInfo(XElement info, DateTimeOffset? sent)
        {
            foreach (var category in info.Elements(Cap + "category"))
            {
                CheckCode<CapCategory>(category, "category");
            }
            foreach (var responseType in info.Elements(Cap + "responseType"))
            {
                CheckCode<CapResponseType>(responseType, "response type");
            }
            CheckCode<CapUrgency>(info.Element(Cap + "urgency"), "urgency");
            CheckCode<CapSeverity>(info.Element(Cap + "severity"), "severity");
            CheckCode<CapCertainty>(info.Element(Cap + "certainty"), "certainty");

            var effective = CheckDate(info.Element(Cap + "effective"));
            var onset = CheckDate(info.Element(Cap + "onset"));
            var expiresElement = info.Element(Cap + "expires");
            if (CheckDate(expiresElement) is { } expires)
            {
                CheckExpiresAfter(expiresElement!, expires, sent, "sent");
                CheckExpiresAfter(expiresElement!, expires, effective, "effective");
                CheckExpiresAfter(expiresElement!, expires, onset, "onset");
            }

            if (info.Element(Cap + "headline") is { } headline && headline.Value.Length > HeadlineTargetLength)
            {
                Warning(headline, $"headline is {headline.Value.Length} characters; CAP suggests keeping it to {HeadlineTargetLength} so that it fits short displays");
            }

            if (info.Element(Cap + "web") is { } web && web.Value.Trim().Length > 0 && !IsAbsoluteUri(web.Value.Trim()))
            {
                Error(web, $"'{web.Value}' is not a full absolute URI (for example https://example.org/alerts/123)");
            }

            foreach (var resource in info.Elements(Cap + "resource"))
            {
                CheckResource(resource);
            }
            foreach (var area in info.Elements(Cap + "area"))
            {
                CheckArea(area);
            }
        }

        private void CheckExpiresAfter(XElement expiresElement, DateTimeOffset expires, DateTimeOffset? other, string otherName)
        {
            if (other is { } when && expires <= when)
            {
                Error(expiresElement, $"expires ({CapDateTime.Format(expires)}) must be later than {otherName} ({CapDateTime.Format(when)})");
            }
        }

        private void CheckResource(XElement resource)
        {
            if (resource.Element(Cap + "mimeType") is { } mime && mime.Value.Trim().Length > 0 && !MimeTypeForm().IsMatch(mime.Value.Trim()))
            {
                Error(mime, $"'{mime.Value}' is not a MIME type of the form type/subtype (RFC 2046), such as image/png");
            }
            if (resource.Element(Cap + "size") is { } size && size.Value.Trim().StartsWith('-'))
            {
                Error(size, $"size '{size.Value}' is negative; it is the resource's size in bytes");
            }
            var derefUri = resource.Element(Cap + "derefUri");
            if (resource.Element(Cap + "uri") is { } uri && uri.Value.Trim().Length > 0
                && !IsAbsoluteUri(uri.Value.Trim()) && derefUri is null)
            {
                Error(uri, $"'{uri.Value}' is relative; a relative uri is only allowed to name the content of a derefUri in the same resource");
            }
            if (derefUri is not null && derefUri.Value.Trim().Length > 0 && !IsBase64(derefUri.Value))
            {
                Error(derefUri, "derefUri must be the resource content encoded in base-64");
            }
            if (resource.Element(Cap + "digest") is { } digest && digest.Value.Trim().Length > 0 && !Sha1Hex().IsMatch(digest.Value.Trim()))
            {
                Warning(digest, "digest should be the SHA-1 hash of the resource (40 hexadecimal digits)");
            }
        }

        private static bool IsBase64(string text)
        {
            var compact = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
            var buffer = new byte[compact.Length];
            return Convert.TryFromBase64String(compact, buffer, out _);
        }

        private void CheckArea(XElement area)
        {
            foreach (var polygon in area.Elements(Cap + "polygon"))
            {
                CheckPolygon(polygon);
            }
            foreach (var circle in area.Elements(Cap + "circle"))
            {
                CheckCircle(circle);
            }
            var altitude = Number(area.Element(Cap + "altitude"));
            var ceilingElement = area.Element(Cap + "ceiling");
            var ceiling = Number(ceilingElement);
            if (ceilingElement is not null && area.Element(Cap + "altitude") is null)
            {
                Error(ceilingElement, "ceiling is only allowed together with altitude (altitude is the lower limit, ceiling the upper)");
            }
            if (altitude is { } low && ceiling is { } high && low > high)
            {
                Error(ceilingElement!, $"ceiling ({high}) is below altitude ({low})");
            }
        }

        private static decimal? Number(XElement? element) =>
            element is not null && CapNumber.TryParse(element.Value.Trim(), out var value) ? value : null;

        private void CheckPolygon(XElement polygon)
        {
            var pairs = CapText.SplitWhitespace(polygon.Value);
            if (pairs.Count == 0)
            {
                return; // reported as an empty element
            }
            var points = new List<CapPoint>();
            for (var i = 0; i < pairs.Count; i++)
            {
                if (!CapPoint.TryParse(pairs[i], out var point))
                {
                    Error(polygon, $"pair {i + 1} '{pairs[i]}' is not a 'latitude,longitude' pair in decimal degrees (pairs are separated by spaces)");
                    return;
                }
                if (!CheckRanges(polygon, point, $"pair {i + 1}"))
                {
                    return;
                }
                points.Add(point);
            }
            if (points.Count < 4)
            {
                Error(polygon, $"polygon has {points.Count} coordinate pairs; CAP requires at least 4, the last one repeating the first");
                return;
            }
            if (points[0] != points[^1])
            {
                Error(polygon, $"polygon is not closed: the last pair ({points[^1]}) must be the same as the first ({points[0]})");
                return;
            }
            // Crossing itself or the antimeridian: receivers would draw a different area from the one meant.
            if (CapShapes.PolygonProblem(new CapPolygon(new EquatableList<CapPoint>(points))) is { } shape)
            {
                Error(polygon, shape);
            }
        }

        private void CheckCircle(XElement circle)
        {
            var parts = CapText.SplitWhitespace(circle.Value);
            if (parts.Count == 0)
            {
                return; // reported as an empty element
            }
            if (parts.Count != 2 || !CapPoint.TryParse(parts[0], out var centre))
            {
                Error(circle, $"'{circle.Value.Trim()}' is not of the form 'latitude,longitude radius' (radius in kilometres)");
                return;
            }
            if (!CheckRanges(circle, centre, "centre"))
            {
                return;
            }
            if (!CapNumber.TryParse(parts[1], out var radius))
            {
                Error(circle, $"radius '{parts[1]}' is not a number of kilometres");
            }
            else if (radius < 0)
            {
                Error(circle, $"radius {parts[1]} is negative; it must be 0 or more kilometres");
            }
            else if (CapShapes.CircleProblem(new CapCircle(centre, radius)) is { } shape)
            {
                Error(circle, shape);
            }
        }

        private bool CheckRanges(XElement at, CapPoint point, string which)
        {
            var ok = true;
            if (point.Latitude is < -90 or > 90)
            {
                Error(at, $"{which}: latitude {point.Latitude} is outside -90 to 90 (pairs are latitude first, then longitude)");
                ok = false;
            }
            if (point.Longitude is < -180 or > 180)
            {
                Error(at, $"{which}: longitude {point.Longitude} is outside -180 to 180");
                ok = false;
            }
            return ok;
        }

        private DateTimeOffset? CheckDate(XElement? element)
        {
            if (element is null || element.Value.Length == 0)
            {
                return null;
            }
            if (CapDateTime.DescribeProblem(element.Value) is { } problem)
            {
                Error(element, $"{element.Name.LocalName} {problem}");
                return null;
            }
            CapDateTime.TryParse(element.Value, out var value);
            return value;
        }

        private T? CheckCode<T>(XElement? element, string what) where T : struct, Enum
        {
            if (element is null || element.Value.Length == 0)
            {
                return null; // missing: the schema reports it; empty: reported as an empty element
            }
            if (CapCodes.TryParse<T>(element.Value, out var value))
            {
                return value;
            }
            Error(element, $"'{element.Value}' is not a CAP {what}; use one of {string.Join(", ", Enum.GetNames<T>())} (exact spelling and case)");
            return null;
        }

        private void CheckIdentifierCharacters(XElement? element, string what)
        {
            if (element is null || element.Value.Length == 0)
            {
                return;
            }
            var bad = element.Value.Where(c => char.IsWhiteSpace(c) || c is ',' or '<' or '&').Distinct().ToList();
            if (bad.Count > 0)
            {
                var shown = string.Join(", ", bad.Select(c => char.IsWhiteSpace(c) ? "whitespace" : $"'{c}'"));
                Error(element, $"{what} must not contain spaces, commas, '<' or '&' (found {shown}): other messages refer to it in references");
            }
        }

        /// <summary>Missing, or (in a document someone else wrote) present but empty, which says no more than missing.</summary>
        private bool IsAbsent(XElement? element) => element is null || IsEmptyAndTolerated(element);

        private bool IsEmptyAndTolerated(XElement element) => !ownAlert && !element.HasElements && element.Value.Trim().Length == 0;

        private void CheckEmptyElements(XElement alert)
        {
            foreach (var element in alert.DescendantsAndSelf())
            {
                if (element.Name.Namespace != Cap)
                {
                    continue;
                }
                var name = element.Name.LocalName;
                if (element.HasElements)
                {
                    if (!Containers.Contains(name))
                    {
                        Error(element, CapXml.DescribeMarkup(element));
                    }
                    continue;
                }
                if (element.Value.Trim().Length > 0)
                {
                    continue;
                }
                if (ContentRequired.Contains(name) || (ownAlert && NeverEmptyInOwnAlerts.Contains(name)))
                {
                    Error(element, $"{name} is empty; it must have content");
                }
                else if (Containers.Contains(name))
                {
                    continue; // an empty container is a schema error: its required children are missing
                }
                else
                {
                    Warning(element, $"{name} is empty; leave an element out rather than send it empty");
                }
            }
        }
    }
}
