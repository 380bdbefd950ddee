using System.Xml.Linq;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

public class CapXmlTests
{
    private static readonly XNamespace Cap = CapXml.Namespace;

    [Fact]
    public void Full_alert_survives_a_round_trip_through_xml()
    {
        var alert = CapSamples.Full();

        var read = CapXml.Read(CapXml.Write(alert));

        Assert.Equal(alert, read);
    }

    [Fact]
    public void Round_trip_is_stable_text_for_text()
    {
        var once = CapXml.Write(CapSamples.Full());

        Assert.Equal(once, CapXml.Write(CapXml.Read(once)));
    }

    [Fact]
    public void Writes_the_cap_12_namespace_and_element_order()
    {
        var document = XDocument.Parse(CapXml.Write(CapSamples.Full()));

        Assert.Equal(Cap + "alert", document.Root!.Name);
        var order = document.Root.Elements().Select(e => e.Name.LocalName).Distinct().ToArray();
        Assert.Equal(
            ["identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction", "addresses", "code", "note", "references", "incidents", "info"],
            order);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", CapXml.Write(CapSamples.Simple()), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Dates_use_the_cap_form_with_minus_zero_for_utc_and_never_z()
    {
        var utc = new DateTimeOffset(2026, 11, 21, 14, 32, 0, TimeSpan.Zero);
        var alert = CapSamples.Simple() with { Sent = utc, Infos = [CapSamples.Simple().Infos[0] with { Expires = utc.AddHours(6) }] };
        var xml = CapXml.Write(alert);
        var document = XDocument.Parse(xml);

        Assert.Equal("2026-11-21T14:32:00-00:00", document.Root!.Element(Cap + "sent")!.Value);
        Assert.Equal("2026-11-21T20:32:00-00:00", document.Root.Element(Cap + "info")!.Element(Cap + "expires")!.Value);
        Assert.Equal("2026-11-21T14:32:00+01:00", CapDateTime.Format(CapSamples.Sent));
        Assert.Equal("2026-11-21T14:32:00-05:30", CapDateTime.Format(new DateTimeOffset(2026, 11, 21, 14, 32, 0, TimeSpan.FromMinutes(-330))));
        Assert.DoesNotContain("Z<", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void Sub_second_parts_are_dropped_because_cap_has_none()
    {
        var withMillis = new DateTimeOffset(2026, 11, 21, 14, 32, 7, 999, TimeSpan.FromHours(1));

        Assert.Equal("2026-11-21T14:32:07+01:00", CapDateTime.Format(withMillis));
    }

    [Fact]
    public void Lists_with_spaces_are_quoted_and_read_back()
    {
        var xml = XDocument.Parse(CapXml.Write(CapSamples.Full()));

        Assert.Equal("fire@riverside.example.gov \"Police Control Room\"", xml.Root!.Element(Cap + "addresses")!.Value);
        Assert.Equal("riverside-flood-2026 \"River Ouse flood\"", xml.Root.Element(Cap + "incidents")!.Value);
        Assert.Equal("alerts@riverside.example.gov,riverside-2026-0041,2026-11-21T13:05:00+01:00", xml.Root.Element(Cap + "references")!.Value);
    }

    [Fact]
    public void Reads_the_real_australian_alert_and_round_trips_it()
    {
        var alert = CapXml.Read(CapSamples.ReadFixture("australia.cap"));

        Assert.Equal("tag:www.rfs.nsw.gov.au2011-10-06:40184", alert.Identifier);
        Assert.Equal(new DateTimeOffset(2011, 10, 5, 23, 4, 0, TimeSpan.FromHours(10)), alert.Sent);
        Assert.Equal(2, alert.Infos.Count);
        var info = alert.Infos[0];
        Assert.Equal("en-AU", info.Language);
        Assert.Equal([CapCategory.Fire, CapCategory.Met], info.Categories);
        Assert.Equal([CapResponseType.Evacuate], info.ResponseTypes);
        Assert.Equal("Yerong Creek Structure Fire", info.Headline);
        Assert.Contains("<br />", info.Description, StringComparison.Ordinal);
        Assert.Equal(new CapValuePair("AllocatedResources", ""), info.Parameters[5]);
        Assert.Equal(new CapCircle(new CapPoint(-35.3888m, 147.0598m), 25.0m), info.Areas[0].Circles[0]);
        Assert.Equal("-35.3888,147.0598 25.0", info.Areas[0].Circles[0].ToString());

        Assert.Equal(alert, CapXml.Read(CapXml.Write(alert)));
    }

    [Theory]
    [InlineData("weather.cap", "CAP 1.1")]
    [InlineData("earthquake.cap", "CAP 1.1")]
    public void Refuses_older_cap_versions_by_name(string file, string version)
    {
        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(CapSamples.ReadFixture(file)));

        Assert.Contains(version, e.Message, StringComparison.Ordinal);
        Assert.Contains(CapXml.Namespace, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_required_field_is_named()
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<event>Grass fire</event>", "", StringComparison.Ordinal);

        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(xml));

        Assert.Equal("info[1].event is missing; CAP requires it", e.Message);
    }

    [Fact]
    public void Bad_code_value_is_named_with_the_allowed_values()
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<severity>Moderate</severity>", "<severity>moderate</severity>", StringComparison.Ordinal);

        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(xml));

        Assert.Equal("info[1].severity: 'moderate' is not one of Extreme, Severe, Moderate, Minor, Unknown", e.Message);
    }

    [Fact]
    public void Z_date_is_refused_with_the_reason()
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("2026-11-21T14:32:00+01:00</sent>", "2026-11-21T13:32:00Z</sent>", StringComparison.Ordinal);

        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(xml));

        Assert.StartsWith("sent: '2026-11-21T13:32:00Z' ends in 'Z'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_xml_is_a_clear_error()
    {
        var e = Assert.Throws<CapFormatException>(() => CapXml.Read("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</alert>"));

        Assert.StartsWith("not well-formed XML:", e.Message, StringComparison.Ordinal);
    }
}
