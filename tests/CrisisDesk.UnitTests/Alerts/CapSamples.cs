using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>Alerts built for tests, and the real fixture alerts.</summary>
internal static class CapSamples
{
    public static readonly DateTimeOffset Sent = new(2026, 11, 21, 14, 32, 0, TimeSpan.FromHours(1));

    /// <summary>An alert that uses every CAP element, valid under the schema and the specification.</summary>
    public static CapAlert Full() => new()
    {
        Identifier = "riverside-2026-0042",
        Sender = "alerts@riverside.example.gov",
        Sent = Sent,
        Status = CapStatus.Actual,
        MsgType = CapMsgType.Update,
        Source = "Duty officer J. Smith",
        Scope = CapScope.Restricted,
        Restriction = "Emergency services only",
        Addresses = ["fire@riverside.example.gov", "Police Control Room"],
        Codes = ["urn:oasis:names:tc:emergency:cap:1.2:profile:CAP-AU:1.0", "drill-free"],
        Note = "Supersedes the 13:05 alert: the evacuation zone has grown.",
        References = [new CapReference("alerts@riverside.example.gov", "riverside-2026-0041", Sent.AddMinutes(-87))],
        Incidents = ["riverside-flood-2026", "River Ouse flood"],
        Infos =
        [
            new CapInfo
            {
                Language = "en-GB",
                Categories = [CapCategory.Met, CapCategory.Safety],
                Event = "River flooding",
                ResponseTypes = [CapResponseType.Evacuate, CapResponseType.Monitor],
                Urgency = CapUrgency.Immediate,
                Severity = CapSeverity.Severe,
                Certainty = CapCertainty.Observed,
                Audience = "Residents of Riverside & Lower Town",
                EventCodes = [new CapValuePair("SAME", "FLW")],
                Effective = Sent,
                Onset = Sent.AddMinutes(30),
                Expires = new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero),
                SenderName = "Riverside Council Emergency Team",
                Headline = "Evacuate Lower Town now: River Ouse has breached its banks",
                Description = "Water is rising <fast> on Quay Street & Mill Lane.",
                Instruction = "Leave now by the A59. Do not drive through flood water.",
                Web = "https://riverside.example.gov/flood",
                Contact = "0800 123 456",
                Parameters = [new CapValuePair("WEA90", "Flood: evacuate Lower Town now"), new CapValuePair("WEA360", "River Ouse flooding. Leave Lower Town now by the A59.")],
                Resources =
                [
                    new CapResource { ResourceDesc = "map", MimeType = "image/png", Size = 1024, Uri = "https://riverside.example.gov/flood/map.png", Digest = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12" },
                    new CapResource { ResourceDesc = "inline note", MimeType = "text/plain", Uri = "note.txt", DerefUri = "SGVsbG8gd29ybGQ=" },
                ],
                Areas =
                [
                    new CapArea
                    {
                        AreaDesc = "Lower Town",
                        Polygons = [new CapPolygon([new(53.9590m, -1.0815m), new(53.9620m, -1.0700m), new(53.9550m, -1.0650m), new(53.9590m, -1.0815m)])],
                        Circles = [new CapCircle(new CapPoint(53.9600m, -1.0750m), 2.5m)],
                        Geocodes = [new CapValuePair("ONS", "E06000014")],
                        Altitude = 0m,
                        Ceiling = 1500.0m,
                    },
                ],
            },
            new CapInfo
            {
                Language = "cy",
                Categories = [CapCategory.Met],
                Event = "Llifogydd afon",
                Urgency = CapUrgency.Immediate,
                Severity = CapSeverity.Severe,
                Certainty = CapCertainty.Observed,
                Headline = "Gadewch y Dref Isaf nawr",
                Areas = [new CapArea { AreaDesc = "Y Dref Isaf", Circles = [new CapCircle(new CapPoint(53.96m, -1.075m), 0m)] }],
            },
        ],
    };

    /// <summary>A small public alert: the shape most rules are tested against, by changing one thing.</summary>
    public static CapAlert Simple() => new()
    {
        Identifier = "riverside-2026-0043",
        Sender = "alerts@riverside.example.gov",
        Sent = Sent,
        Status = CapStatus.Exercise,
        MsgType = CapMsgType.Alert,
        Scope = CapScope.Public,
        Infos =
        [
            new CapInfo
            {
                Categories = [CapCategory.Fire],
                Event = "Grass fire",
                Urgency = CapUrgency.Expected,
                Severity = CapSeverity.Moderate,
                Certainty = CapCertainty.Likely,
                Expires = Sent.AddHours(6),
                Headline = "Grass fire near Hob Moor: keep windows closed",
                Areas = [new CapArea { AreaDesc = "Hob Moor", Circles = [new CapCircle(new CapPoint(53.95m, -1.11m), 1m)] }],
            },
        ],
    };

    public static string Fixture(string name) =>
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "Alerts", name);

    public static string ReadFixture(string name) => File.ReadAllText(Fixture(name));
}
