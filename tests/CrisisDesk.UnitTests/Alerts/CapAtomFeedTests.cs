using System.Xml.Linq;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

public class CapAtomFeedTests
{
    private static readonly XNamespace Atom = CapAtomFeed.AtomNamespace;
    private static readonly XNamespace Cap = CapXml.Namespace;
    private static readonly Uri Base = new("https://alerts.riverside.example.gov/council");

    [Fact]
    public void Entry_links_to_the_alerts_own_cap_document()
    {
        var feed = XDocument.Parse(CapAtomFeed.Write(Base, "Alerts", "Riverside Council", [CapFeedEntry.From(CapSamples.Simple())]));

        var entry = Assert.Single(feed.Root!.Elements(Atom + "entry"));
        var link = Assert.Single(entry.Elements(Atom + "link"));
        Assert.Equal("alternate", link.Attribute("rel")!.Value);
        Assert.Equal("application/cap+xml", link.Attribute("type")!.Value);
        Assert.Equal("https://alerts.riverside.example.gov/council/cap/alerts/riverside-2026-0043.xml", link.Attribute("href")!.Value);
        Assert.Equal(link.Attribute("href")!.Value, entry.Element(Atom + "id")!.Value);
        Assert.Equal("Exercise", entry.Element(Cap + "status")!.Value);
        Assert.Equal("2026-11-21T20:32:00+01:00", entry.Element(Cap + "expires")!.Value);
        Assert.Equal("Hob Moor", entry.Element(Cap + "areaDesc")!.Value);
    }

    [Fact]
    public void Entry_carries_the_alerts_polygons_and_circles_as_cap_writes_them()
    {
        var alert = CapSamples.Simple();
        var area = alert.Infos[0].Areas[0] with
        {
            Polygons = [CapShapes.ReadPolygon("53.95,-1.1 53.96,-1.09 53.94,-1.08 53.95,-1.1", out _)!],
            Circles = [new CapCircle(new CapPoint(53.95m, -1.1m), 2.5m)],
        };

        var feed = XDocument.Parse(CapAtomFeed.Write(Base, "Alerts", "Riverside Council",
            [CapFeedEntry.From(alert with { Infos = [alert.Infos[0] with { Areas = [area] }] })]));

        var entry = feed.Root!.Element(Atom + "entry")!;
        Assert.Equal("53.95,-1.1 53.96,-1.09 53.94,-1.08 53.95,-1.1", entry.Element(Cap + "polygon")!.Value);
        Assert.Equal("53.95,-1.1 2.5", entry.Element(Cap + "circle")!.Value);
    }

    [Fact]
    public void Identifiers_are_escaped_in_urls_and_text_is_escaped_in_xml()
    {
        var summary = CapFeedEntry.From(CapSamples.Simple()) with { Identifier = "tag:rfs.nsw.gov.au,2011:40184/a", Headline = "Fire <now> & later" };

        var feed = XDocument.Parse(CapAtomFeed.Write(Base, "Alerts", "Riverside Council", [summary]));

        var entry = feed.Root!.Element(Atom + "entry")!;
        Assert.Equal("https://alerts.riverside.example.gov/council/cap/alerts/tag%3Arfs.nsw.gov.au%2C2011%3A40184%2Fa.xml", entry.Element(Atom + "id")!.Value);
        Assert.Equal("Fire <now> & later", entry.Element(Atom + "title")!.Value);
    }

    [Fact]
    public void Feed_updated_is_the_newest_alert_unless_given()
    {
        var older = CapFeedEntry.From(CapSamples.Simple());
        var newer = older with { Identifier = "newer", Sent = older.Sent.AddHours(2) };

        var feed = XDocument.Parse(CapAtomFeed.Write(Base, "Alerts", "Riverside Council", [newer, older]));

        Assert.Equal("2026-11-21T16:32:00+01:00", feed.Root!.Element(Atom + "updated")!.Value);
        Assert.Equal("https://alerts.riverside.example.gov/council/cap/feed.atom", feed.Root.Element(Atom + "id")!.Value);
    }

    [Fact]
    public void Empty_feed_needs_an_updated_time()
    {
        Assert.Throws<ArgumentException>(() => CapAtomFeed.Write(Base, "Alerts", "Riverside Council", []));

        var feed = XDocument.Parse(CapAtomFeed.Write(Base, "Alerts", "Riverside Council", [], new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero)));
        Assert.Equal("2026-11-21T09:00:00+00:00", feed.Root!.Element(Atom + "updated")!.Value);
        Assert.Empty(feed.Root.Elements(Atom + "entry"));
    }

    [Fact]
    public void Relative_base_url_is_refused()
    {
        Assert.Throws<ArgumentException>(() => CapAtomFeed.Write(new Uri("/alerts", UriKind.Relative), "Alerts", "x", [CapFeedEntry.From(CapSamples.Simple())]));
    }

    [Fact]
    public void Alert_without_info_cannot_become_a_feed_entry()
    {
        var e = Assert.Throws<ArgumentException>(() => CapFeedEntry.From(CapSamples.Simple() with { Infos = [] }));

        Assert.Contains("has no info block", e.Message, StringComparison.Ordinal);
    }
}
