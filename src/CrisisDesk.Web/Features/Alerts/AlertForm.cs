using System.Globalization;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Publishing;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>
/// The composer's editable view of a CAP alert: plain strings where people type, so that a half-typed polygon or
/// date is kept and explained rather than lost. <see cref="TryBuild"/> turns it into a <see cref="CapAlert"/> or
/// names each field it cannot read.
/// </summary>
public sealed class AlertForm
{
    public CapStatus Status { get; set; } = CapStatus.Actual;
    public CapScope Scope { get; set; } = CapScope.Public;
    public string Restriction { get; set; } = "";
    public string Addresses { get; set; } = "";
    public string Note { get; set; } = "";
    public string Incidents { get; set; } = "";
    public List<InfoForm> Infos { get; set; } = [new()];

    public sealed class InfoForm
    {
        public string Language { get; set; } = "en-GB";
        public HashSet<CapCategory> Categories { get; set; } = [CapCategory.Safety];
        public string Event { get; set; } = "";
        public HashSet<CapResponseType> ResponseTypes { get; set; } = [];
        public CapUrgency Urgency { get; set; } = CapUrgency.Immediate;
        public CapSeverity Severity { get; set; } = CapSeverity.Severe;
        public CapCertainty Certainty { get; set; } = CapCertainty.Observed;
        public string Audience { get; set; } = "";
        public string Effective { get; set; } = "";
        public string Onset { get; set; } = "";
        public string Expires { get; set; } = "";
        public string SenderName { get; set; } = "";
        public string Headline { get; set; } = "";
        public string Description { get; set; } = "";
        public string Instruction { get; set; } = "";
        public string Web { get; set; } = "";
        public string Contact { get; set; } = "";
        public string WeaShortText { get; set; } = "";
        public string WeaLongText { get; set; } = "";
        public List<PairForm> Parameters { get; set; } = [];
        public List<AreaForm> Areas { get; set; } = [new()];
    }

    public sealed class PairForm
    {
        public string Name { get; set; } = "";
        public string Value { get; set; } = "";
    }

    public sealed class AreaForm
    {
        public string AreaDesc { get; set; } = "";

        /// <summary>One polygon per line: lat,lon pairs separated by spaces, the last equal to the first.</summary>
        public string Polygons { get; set; } = "";

        /// <summary>One circle per line: lat,lon radius-km.</summary>
        public string Circles { get; set; } = "";

        /// <summary>One geocode per line: name=value.</summary>
        public string Geocodes { get; set; } = "";
    }

    public static AlertForm From(CapAlert alert) => new()
    {
        Status = alert.Status,
        Scope = alert.Scope,
        Restriction = alert.Restriction ?? "",
        Addresses = string.Join(' ', alert.Addresses.Select(a => a.Contains(' ', StringComparison.Ordinal) ? "\"" + a + "\"" : a)),
        Note = alert.Note ?? "",
        Incidents = string.Join(' ', alert.Incidents.Select(a => a.Contains(' ', StringComparison.Ordinal) ? "\"" + a + "\"" : a)),
        Infos = [.. alert.Infos.Select(i => new InfoForm
        {
            Language = i.Language ?? "",
            Categories = [.. i.Categories],
            Event = i.Event,
            ResponseTypes = [.. i.ResponseTypes],
            Urgency = i.Urgency,
            Severity = i.Severity,
            Certainty = i.Certainty,
            Audience = i.Audience ?? "",
            Effective = i.Effective is { } e ? CapDateTime.Format(e) : "",
            Onset = i.Onset is { } o ? CapDateTime.Format(o) : "",
            Expires = i.Expires is { } x ? CapDateTime.Format(x) : "",
            SenderName = i.SenderName ?? "",
            Headline = i.Headline ?? "",
            Description = i.Description ?? "",
            Instruction = i.Instruction ?? "",
            Web = i.Web ?? "",
            Contact = i.Contact ?? "",
            WeaShortText = i.Parameters.FirstOrDefault(p => p.ValueName == CapParameters.WeaShortText)?.Value ?? "",
            WeaLongText = i.Parameters.FirstOrDefault(p => p.ValueName == CapParameters.WeaLongText)?.Value ?? "",
            Parameters = [.. i.Parameters.Where(p => p.ValueName is not (CapParameters.WeaShortText or CapParameters.WeaLongText)).Select(p => new PairForm { Name = p.ValueName, Value = p.Value })],
            Areas = [.. i.Areas.Select(a => new AreaForm
            {
                AreaDesc = a.AreaDesc,
                Polygons = string.Join('\n', a.Polygons.Select(p => p.ToString())),
                Circles = string.Join('\n', a.Circles.Select(c => c.ToString())),
                Geocodes = string.Join('\n', a.Geocodes.Select(g => g.ValueName + "=" + g.Value)),
            })],
        })],
    };

    /// <summary>The CAP alert this form describes, or the fields that cannot be read (by CAP path and label).</summary>
    public CapAlert? TryBuild(out List<CapProblem> problems)
    {
        problems = [];
        var infos = new List<CapInfo>();
        for (var n = 0; n < Infos.Count; n++)
        {
            var info = Infos[n];
            var path = $"info[{n + 1}]";
            var areas = new List<CapArea>();
            for (var m = 0; m < info.Areas.Count; m++)
            {
                var area = info.Areas[m];
                var areaPath = $"{path}.area[{m + 1}]";
                var polygons = Parse<CapPolygon>(area.Polygons, areaPath, "polygon", problems);
                var circles = Parse<CapCircle>(area.Circles, areaPath, "circle", problems);
                var geocodes = new List<CapValuePair>();
                foreach (var (line, k) in Lines(area.Geocodes).Select((l, k) => (l, k)))
                {
                    var equals = line.IndexOf('=', StringComparison.Ordinal);
                    if (equals > 0)
                        geocodes.Add(new CapValuePair(line[..equals].Trim(), line[(equals + 1)..].Trim()));
                    else
                        problems.Add(Unreadable($"{areaPath}.geocode[{k + 1}]", $"geocode line {k + 1} '{line}' should be 'name=value', for example 'ONS=E06000014'"));
                }
                areas.Add(new CapArea
                {
                    AreaDesc = area.AreaDesc.Trim(),
                    Polygons = new(polygons),
                    Circles = new(circles),
                    Geocodes = new(geocodes),
                });
            }
            var parameters = info.Parameters.Where(p => p.Name.Trim().Length > 0).Select(p => new CapValuePair(p.Name.Trim(), p.Value.Trim())).ToList();
            if (info.WeaShortText.Trim().Length > 0)
                parameters.Add(new CapValuePair(CapParameters.WeaShortText, info.WeaShortText.Trim()));
            if (info.WeaLongText.Trim().Length > 0)
                parameters.Add(new CapValuePair(CapParameters.WeaLongText, info.WeaLongText.Trim()));
            infos.Add(new CapInfo
            {
                Language = Blank(info.Language),
                Categories = new([.. info.Categories.Order()]),
                Event = info.Event.Trim(),
                ResponseTypes = new([.. info.ResponseTypes.Order()]),
                Urgency = info.Urgency,
                Severity = info.Severity,
                Certainty = info.Certainty,
                Audience = Blank(info.Audience),
                Effective = Time(info.Effective, $"{path}.effective", problems),
                Onset = Time(info.Onset, $"{path}.onset", problems),
                Expires = Time(info.Expires, $"{path}.expires", problems),
                SenderName = Blank(info.SenderName),
                Headline = Blank(info.Headline),
                Description = Blank(info.Description),
                Instruction = Blank(info.Instruction),
                Web = Blank(info.Web),
                Contact = Blank(info.Contact),
                Parameters = new(parameters),
                Areas = new(areas),
            });
        }
        if (problems.Count > 0)
            return null;
        return new CapAlert
        {
            // Identity, sender, sent, type and references are the server's to set.
            Identifier = "draft",
            Sender = "draft",
            Sent = DateTimeOffset.UtcNow,
            Status = Status,
            MsgType = CapMsgType.Alert,
            Scope = Scope,
            Restriction = Blank(Restriction),
            Addresses = new(SplitList(Addresses)),
            Note = Blank(Note),
            Incidents = new(SplitList(Incidents)),
            Infos = new(infos),
        };
    }

    /// <summary>
    /// The problems of one area's polygons or circles as typed, line by line (<paramref name="shape"/> is "polygon" or
    /// "circle"): lines that cannot be read, and polygons too short, not closed or off the globe. Shown while typing,
    /// before the whole alert is checked.
    /// </summary>
    public static List<CapProblem> ShapeProblems(string areaPath, AreaForm area, string shape)
    {
        var problems = new List<CapProblem>();
        var circle = shape == "circle";
        var lines = Lines(circle ? area.Circles : area.Polygons).ToList();
        for (var k = 0; k < lines.Count; k++)
        {
            var problem = circle ? CircleProblem(lines[k]) : PolygonProblem(lines[k]);
            if (problem is not null)
                problems.Add(Unreadable($"{areaPath}.{shape}[{k + 1}]", $"{shape} line {k + 1}: {problem}"));
        }
        return problems;
    }

    private static string? PolygonProblem(string line)
    {
        CapShapes.ReadPolygon(line, out var problem);
        return problem;
    }

    private static string? CircleProblem(string line)
    {
        CapShapes.ReadCircle(line, out var problem);
        return problem;
    }

    private static string PolygonUnreadable(int k, string line) =>
        $"polygon line {k + 1} '{line}' is not a list of latitude,longitude pairs separated by spaces";

    /// <summary>Each line that reads as a <typeparamref name="T"/>; each line that does not is named in <paramref name="problems"/>.</summary>
    private static List<T> Parse<T>(string text, string areaPath, string shape, List<CapProblem> problems) where T : class
    {
        var shapes = new List<T>();
        foreach (var (line, k) in Lines(text).Select((l, k) => (l, k)))
        {
            T? parsed = null;
            if (typeof(T) == typeof(CapPolygon) && CapPolygon.TryParse(line, out var polygon))
                parsed = polygon as T;
            else if (typeof(T) == typeof(CapCircle) && CapCircle.TryParse(line, out var circle))
                parsed = circle as T;
            if (parsed is not null)
                shapes.Add(parsed);
            else
                problems.Add(Unreadable($"{areaPath}.{shape}[{k + 1}]", typeof(T) == typeof(CapPolygon)
                    ? PolygonUnreadable(k, line)
                    : $"circle line {k + 1} '{line}' should be 'latitude,longitude radius-in-km', for example '51.5,-0.12 2.5'"));
        }
        return shapes;
    }

    private static CapProblem Unreadable(string path, string message) => new(CapProblemSeverity.Error, path, message);

    private static DateTimeOffset? Time(string text, string path, List<CapProblem> problems)
    {
        text = text.Trim();
        if (text.Length == 0)
            return null;
        if (CapDateTime.TryParse(text, out var value))
            return value;
        problems.Add(Unreadable(path, CapDateTime.DescribeProblem(text)!));
        return null;
    }

    private static string? Blank(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<string> SplitList(string text)
    {
        var items = new List<string>();
        var parts = text.Split('"');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 1)
                items.Add(parts[i]);
            else
                items.AddRange(parts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return items;
    }

    /// <summary>Plain words for a CAP path: <c>info[1].area[2].polygon[1]</c> → "Info 1 › Area 2 › Polygon 1".</summary>
    public static string Describe(string path) =>
        path == "document" ? "Document" : string.Join(" › ", path.Split('.').Select(part =>
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? part : part[..bracket];
            var label = name.Length > 0 ? char.ToUpper(name[0], CultureInfo.InvariantCulture) + name[1..] : name;
            return bracket < 0 ? label : label + " " + part[(bracket + 1)..^1];
        }));
}
