using System.Text.Json;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>Our CAP and our feed, read by tools we did not write: libxml2's xmllint and Python's feedparser.</summary>
public sealed class CapIndependentCheckTests : IDisposable
{
    private const string Xmllint = "/usr/bin/xmllint";
    private const string DebianPython = "/usr/bin/python3";
    private readonly string directory = Directory.CreateTempSubdirectory("crisisdesk-cap-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string SchemaFile()
    {
        var path = Path.Combine(directory, "cap12.xsd");
        using var resource = typeof(CapXml).Assembly.GetManifestResourceStream("CrisisDesk.Core.Alerts.Schema.cap12.xsd")!;
        using var file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }

    private string Save(string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static TheoryData<string> GeneratedAlerts() => ["full", "simple", "update", "cancel"];

    private static CapAlert Generated(string name)
    {
        var first = CapSamples.Simple();
        return name switch
        {
            "full" => CapSamples.Full(),
            "simple" => first,
            "update" => first with { Identifier = "riverside-2026-0044", Sent = first.Sent.AddHours(1), MsgType = CapMsgType.Update, References = [first.AsReference()] },
            "cancel" => first with { Identifier = "riverside-2026-0045", Sent = first.Sent.AddHours(2), MsgType = CapMsgType.Cancel, References = [first.AsReference()], Infos = [] },
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(GeneratedAlerts))]
    public void Xmllint_accepts_our_generated_cap_against_the_cap_12_schema(string name)
    {
        var xmllint = ExternalTool.Require(Xmllint, "libxml2-utils");
        var file = Save(name + ".cap", CapXml.Write(Generated(name)));

        var result = ExternalTool.Run(xmllint, "--noout", "--nonet", "--schema", SchemaFile(), file);

        Assert.True(result.ExitCode == 0, $"xmllint rejected our CAP ({result.ExitCode}): {result.Stderr}");
        Assert.Contains(file + " validates", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Xmllint_and_our_validator_both_reject_a_z_date()
    {
        // The control that shows the harness can fail: the same broken document fails in both validators.
        var xmllint = ExternalTool.Require(Xmllint, "libxml2-utils");
        var xml = CapXml.Write(CapSamples.Simple()).Replace("2026-11-21T14:32:00+01:00</sent>", "2026-11-21T13:32:00Z</sent>", StringComparison.Ordinal);
        var file = Save("z-date.cap", xml);

        var result = ExternalTool.Run(xmllint, "--noout", "--nonet", "--schema", SchemaFile(), file);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("sent", result.Stderr, StringComparison.Ordinal);
        Assert.False(CapValidator.Validate(xml).IsValid());
    }

    private const string FeedparserScript = """
        import json, sys
        import feedparser
        d = feedparser.parse(sys.argv[1])
        out = {
            "bozo": int(d.bozo),
            "bozo_exception": str(d.get("bozo_exception", "")),
            "version": d.version,
            "title": d.feed.get("title"),
            "id": d.feed.get("id"),
            "self": [l.get("href") for l in d.feed.get("links", []) if l.get("rel") == "self"],
            "entries": [{
                "id": e.get("id"),
                "title": e.get("title"),
                "updated": e.get("updated"),
                "author": e.get("author"),
                "summary": e.get("summary"),
                "alternate": [[l.get("type"), l.get("href")] for l in e.get("links", []) if l.get("rel") == "alternate"],
                "tags": [t.get("term") for t in e.get("tags", [])],
                "cap_severity": e.get("cap_severity"),
                "cap_urgency": e.get("cap_urgency"),
                "cap_expires": e.get("cap_expires"),
                "cap_msgtype": e.get("cap_msgtype"),
                "cap_areadesc": e.get("cap_areadesc"),
            } for e in d.entries],
        }
        print(json.dumps(out))
        """;

    [Fact]
    public void Feedparser_reads_our_atom_feed_with_its_cap_fields()
    {
        var python = ExternalTool.Require(DebianPython, "python3-feedparser");
        var probe = ExternalTool.Run(python, "-c", "import feedparser");
        Assert.True(probe.ExitCode == 0, "Debian's python3 cannot import feedparser: install python3-feedparser (apt-get install -y python3-feedparser). " + probe.Stderr);

        var full = CapSamples.Full();
        var simple = CapSamples.Simple();
        var feed = CapAtomFeed.Write(
            new Uri("https://alerts.riverside.example.gov/"),
            "Riverside Council emergency alerts",
            "Riverside Council",
            [CapFeedEntry.From(full), CapFeedEntry.From(simple)]);
        var file = Save("feed.atom", feed);

        var result = ExternalTool.Run(python, "-c", FeedparserScript, file);
        Assert.True(result.ExitCode == 0, "feedparser script failed: " + result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;

        Assert.Equal(0, root.GetProperty("bozo").GetInt32());
        Assert.Equal("atom10", root.GetProperty("version").GetString());
        Assert.Equal("Riverside Council emergency alerts", root.GetProperty("title").GetString());
        Assert.Equal("https://alerts.riverside.example.gov/cap/feed.atom", root.GetProperty("id").GetString());
        var entries = root.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);

        var first = entries[0];
        var url = "https://alerts.riverside.example.gov/cap/alerts/riverside-2026-0042.xml";
        Assert.Equal(url, first.GetProperty("id").GetString());
        Assert.Equal(full.Infos[0].Headline, first.GetProperty("title").GetString());
        Assert.Equal("2026-11-21T14:32:00+01:00", first.GetProperty("updated").GetString());
        Assert.Equal("Riverside Council Emergency Team", first.GetProperty("author").GetString());
        Assert.Equal(full.Infos[0].Description, first.GetProperty("summary").GetString());
        var alternate = Assert.Single(first.GetProperty("alternate").EnumerateArray().ToList());
        Assert.Equal("application/cap+xml", alternate[0].GetString());
        Assert.Equal(url, alternate[1].GetString());
        Assert.Equal(["Met", "Safety"], first.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Severe", first.GetProperty("cap_severity").GetString());
        Assert.Equal("Immediate", first.GetProperty("cap_urgency").GetString());
        Assert.Equal("2026-11-22T02:00:00-00:00", first.GetProperty("cap_expires").GetString());
        Assert.Equal("Update", first.GetProperty("cap_msgtype").GetString());
        Assert.Equal("Lower Town", first.GetProperty("cap_areadesc").GetString());

        var second = entries[1];
        Assert.Equal("https://alerts.riverside.example.gov/cap/alerts/riverside-2026-0043.xml", second.GetProperty("id").GetString());
        Assert.Equal("alerts@riverside.example.gov", second.GetProperty("author").GetString());
        Assert.Equal("Moderate", second.GetProperty("cap_severity").GetString());
    }
}
