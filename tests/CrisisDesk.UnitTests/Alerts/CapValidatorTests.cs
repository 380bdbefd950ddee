using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

public class CapValidatorTests
{
    private static CapInfo Info => CapSamples.Simple().Infos[0];
    private static CapArea Area => Info.Areas[0];

    private static CapAlert WithInfo(CapInfo info) => CapSamples.Simple() with { Infos = [info] };
    private static CapAlert WithArea(CapArea area) => WithInfo(Info with { Areas = [area] });

    private static string SimpleXmlWith(string find, string replace)
    {
        var xml = CapXml.Write(CapSamples.Simple());
        Assert.Contains(find, xml, StringComparison.Ordinal);
        return xml.Replace(find, replace, StringComparison.Ordinal);
    }

    /// <summary>The document has exactly one problem, at this path, of this severity, saying this.</summary>
    private static void AssertOnly(IReadOnlyList<CapProblem> problems, CapProblemSeverity severity, string path, string messagePart)
    {
        var problem = Assert.Single(problems);
        Assert.Equal(severity, problem.Severity);
        Assert.Equal(path, problem.Path);
        Assert.Contains(messagePart, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Alert_using_every_element_has_no_problems()
    {
        Assert.Empty(CapValidator.Validate(CapSamples.Full()));
    }

    [Fact]
    public void Simple_alert_has_no_problems()
    {
        Assert.Empty(CapValidator.Validate(CapSamples.Simple()));
    }

    [Fact]
    public void Real_australian_cap_12_alert_is_valid_with_two_empty_value_warnings()
    {
        var problems = CapValidator.Validate(CapSamples.ReadFixture("australia.cap"));

        Assert.True(problems.IsValid());
        Assert.Equal(
            [
                "info[1].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
                "info[2].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
            ],
            problems.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("weather.cap")]
    [InlineData("earthquake.cap")]
    public void Real_cap_11_alerts_are_refused_as_the_wrong_version(string file)
    {
        var problems = CapValidator.Validate(CapSamples.ReadFixture(file));

        AssertOnly(problems, CapProblemSeverity.Error, "alert", "this is a CAP 1.1 alert (namespace 'urn:oasis:names:tc:emergency:cap:1.1'); only CAP 1.2");
    }

    [Fact]
    public void Date_with_z_is_an_error_in_plain_words_not_a_schema_dump()
    {
        var problems = CapValidator.Validate(SimpleXmlWith("2026-11-21T14:32:00+01:00</sent>", "2026-11-21T13:32:00Z</sent>"));

        AssertOnly(problems, CapProblemSeverity.Error, "sent", "ends in 'Z': CAP requires a numeric offset, written '-00:00' for UTC");
    }

    [Fact]
    public void Date_with_fractional_seconds_is_an_error()
    {
        var xml = SimpleXmlWith("<expires>2026-11-21T20:32:00+01:00</expires>", "<expires>2026-11-21T20:32:00.5+01:00</expires>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].expires", "has fractional seconds");
    }

    [Fact]
    public void Date_without_offset_is_an_error()
    {
        var xml = SimpleXmlWith("<expires>2026-11-21T20:32:00+01:00</expires>", "<expires>2026-11-21T20:32:00</expires>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].expires", "has no time-zone offset");
    }

    [Fact]
    public void Polygon_that_is_not_closed_is_an_error()
    {
        var open = new CapPolygon([new(53.95m, -1.10m), new(53.96m, -1.09m), new(53.94m, -1.08m), new(53.93m, -1.10m)]);

        var problems = CapValidator.Validate(WithArea(Area with { Polygons = [open] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].polygon[1]", "polygon is not closed: the last pair (53.93,-1.10) must be the same as the first (53.95,-1.10)");
    }

    [Fact]
    public void Polygon_with_fewer_than_four_pairs_is_an_error()
    {
        var triangle = new CapPolygon([new(53.95m, -1.10m), new(53.96m, -1.09m), new(53.95m, -1.10m)]);

        var problems = CapValidator.Validate(WithArea(Area with { Polygons = [triangle] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].polygon[1]", "polygon has 3 coordinate pairs; CAP requires at least 4");
    }

    [Fact]
    public void Polygon_pair_that_is_not_lat_lon_is_an_error()
    {
        var xml = SimpleXmlWith("<circle>53.95,-1.11 1</circle>", "<polygon>53.95 -1.10 53.96 -1.09 53.94 -1.08 53.95 -1.10</polygon>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].area[1].polygon[1]", "pair 1 '53.95' is not a 'latitude,longitude' pair");
    }

    [Fact]
    public void Latitude_outside_range_is_an_error()
    {
        var swapped = new CapPolygon([new(-1.10m, 153.95m), new(-1.09m, 153.96m), new(93.94m, -1.08m), new(-1.10m, 153.95m)]);

        var problems = CapValidator.Validate(WithArea(Area with { Polygons = [swapped] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].polygon[1]", "pair 3: latitude 93.94 is outside -90 to 90");
    }

    [Fact]
    public void Longitude_outside_range_is_an_error()
    {
        var problems = CapValidator.Validate(WithArea(Area with { Circles = [new CapCircle(new CapPoint(10m, 181.5m), 3m)] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].circle[1]", "centre: longitude 181.5 is outside -180 to 180");
    }

    [Fact]
    public void Circle_not_in_lat_lon_radius_form_is_an_error()
    {
        var xml = SimpleXmlWith("<circle>53.95,-1.11 1</circle>", "<circle>53.95,-1.11,1</circle>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].area[1].circle[1]", "is not of the form 'latitude,longitude radius'");
    }

    [Fact]
    public void Circle_with_negative_radius_is_an_error()
    {
        var xml = SimpleXmlWith("<circle>53.95,-1.11 1</circle>", "<circle>53.95,-1.11 -2</circle>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].area[1].circle[1]", "radius -2 is negative");
    }

    [Theory]
    [InlineData(CapMsgType.Update)]
    [InlineData(CapMsgType.Cancel)]
    [InlineData(CapMsgType.Ack)]
    [InlineData(CapMsgType.Error)]
    public void References_are_required_for_messages_about_earlier_messages(CapMsgType msgType)
    {
        var alert = CapSamples.Simple() with { MsgType = msgType, Note = "explained" };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Error, "references", $"msgType is {msgType}, so references is required");
    }

    [Fact]
    public void Update_that_references_the_earlier_alert_is_valid()
    {
        var first = CapSamples.Simple();
        var update = first with { Identifier = "riverside-2026-0044", Sent = first.Sent.AddHours(1), MsgType = CapMsgType.Update, References = [first.AsReference()] };

        Assert.Empty(CapValidator.Validate(update));
    }

    [Theory]
    [InlineData("alerts@riverside.example.gov,riverside-2026-0041", "is not of the form sender,identifier,sent")]
    [InlineData("alerts@riverside.example.gov;riverside-2026-0041;2026-11-21T13:05:00+01:00", "is not of the form sender,identifier,sent")]
    [InlineData("alerts@riverside.example.gov,riverside-2026-0041,2026-11-21T13:05:00Z", "its sent part '2026-11-21T13:05:00Z' ends in 'Z'")]
    public void References_in_the_wrong_form_are_an_error(string references, string expected)
    {
        var xml = SimpleXmlWith("<scope>Public</scope>", $"<scope>Public</scope><references>{references}</references>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "references", expected);
    }

    [Fact]
    public void Second_malformed_reference_is_named_by_position()
    {
        var xml = SimpleXmlWith("<scope>Public</scope>",
            "<scope>Public</scope><references>a@b,id-1,2026-11-21T13:05:00+01:00 a@b,id-2</references>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "references", "entry 2 'a@b,id-2' is not of the form");
    }

    [Fact]
    public void Reference_to_a_later_message_is_a_warning()
    {
        var alert = CapSamples.Simple() with { MsgType = CapMsgType.Update, References = [new CapReference("a@b", "later", CapSamples.Sent.AddDays(1))] };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Warning, "references", "refers to a message sent after this one");
    }

    [Fact]
    public void Private_scope_requires_addresses()
    {
        var alert = CapSamples.Simple() with { Scope = CapScope.Private };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Error, "addresses", "scope is Private, so addresses is required");
        Assert.Empty(CapValidator.Validate(alert with { Addresses = ["duty@riverside.example.gov"] }));
    }

    [Fact]
    public void Restriction_is_only_allowed_with_restricted_scope()
    {
        var alert = CapSamples.Simple() with { Restriction = "Police only" };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Error, "restriction", "restriction is only used when scope is Restricted (scope here is Public)");
    }

    [Fact]
    public void Restricted_scope_requires_a_restriction()
    {
        var alert = CapSamples.Simple() with { Scope = CapScope.Restricted };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Error, "restriction", "scope is Restricted, so restriction is required");
    }

    [Fact]
    public void Empty_optional_element_is_a_warning()
    {
        var alert = CapSamples.Simple() with { Note = "" };

        var problems = CapValidator.Validate(alert);

        AssertOnly(problems, CapProblemSeverity.Warning, "note", "note is empty; leave an element out rather than send it empty");
        Assert.True(problems.IsValid());
    }

    [Fact]
    public void Empty_required_element_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Event = "  " }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].event", "event is empty; it must have content");
    }

    [Fact]
    public void Expires_before_effective_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Effective = CapSamples.Sent.AddHours(7) }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].expires", "expires (2026-11-21T20:32:00+01:00) must be later than effective (2026-11-21T21:32:00+01:00)");
    }

    [Fact]
    public void Expires_before_onset_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Onset = CapSamples.Sent.AddHours(6) }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].expires", "must be later than onset");
    }

    [Fact]
    public void Expires_before_sent_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Expires = CapSamples.Sent.AddMinutes(-1) }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].expires", "must be later than sent");
    }

    [Fact]
    public void Long_headline_is_a_warning_not_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Headline = new string('x', 161) }));

        AssertOnly(problems, CapProblemSeverity.Warning, "info[1].headline", "headline is 161 characters; CAP suggests keeping it to 160");
        Assert.True(problems.IsValid());
        Assert.Empty(CapValidator.Validate(WithInfo(Info with { Headline = new string('x', 160) })));
    }

    [Fact]
    public void Alert_without_info_is_a_warning()
    {
        var problems = CapValidator.Validate(CapSamples.Simple() with { Infos = [] });

        AssertOnly(problems, CapProblemSeverity.Warning, "alert", "a Alert with no info block tells recipients nothing");
    }

    [Fact]
    public void Cancel_without_info_is_fine()
    {
        var first = CapSamples.Simple();
        var cancel = first with { Identifier = "riverside-2026-0045", MsgType = CapMsgType.Cancel, References = [first.AsReference()], Infos = [] };

        Assert.Empty(CapValidator.Validate(cancel));
    }

    [Fact]
    public void Error_message_without_note_is_a_warning()
    {
        var alert = CapSamples.Simple() with { MsgType = CapMsgType.Error, References = [new CapReference("a@b", "x", CapSamples.Sent.AddHours(-1))], Infos = [] };

        AssertOnly(CapValidator.Validate(alert), CapProblemSeverity.Warning, "note", "msgType is Error: the note should explain why");
    }

    [Theory]
    [InlineData("riverside 2026")]
    [InlineData("riverside,2026")]
    [InlineData("riverside&2026")]
    public void Identifier_with_space_comma_or_ampersand_is_an_error(string identifier)
    {
        var problems = CapValidator.Validate(CapSamples.Simple() with { Identifier = identifier });

        AssertOnly(problems, CapProblemSeverity.Error, "identifier", "identifier must not contain spaces, commas, '<' or '&'");
    }

    [Fact]
    public void Sender_with_space_is_an_error()
    {
        var problems = CapValidator.Validate(CapSamples.Simple() with { Sender = "Riverside Council" });

        AssertOnly(problems, CapProblemSeverity.Error, "sender", "sender must not contain spaces");
    }

    [Fact]
    public void Relative_web_address_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Web = "/flood" }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].web", "'/flood' is not a full absolute URI");
    }

    [Fact]
    public void Ceiling_without_altitude_is_an_error()
    {
        var problems = CapValidator.Validate(WithArea(Area with { Ceiling = 1000m }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].ceiling", "ceiling is only allowed together with altitude");
    }

    [Fact]
    public void Ceiling_below_altitude_is_an_error()
    {
        var problems = CapValidator.Validate(WithArea(Area with { Altitude = 2000m, Ceiling = 1000m }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].area[1].ceiling", "ceiling (1000) is below altitude (2000)");
    }

    [Fact]
    public void Unknown_code_value_is_named_with_the_allowed_values_once()
    {
        var xml = SimpleXmlWith("<urgency>Expected</urgency>", "<urgency>Soon</urgency>");

        AssertOnly(CapValidator.Validate(xml), CapProblemSeverity.Error, "info[1].urgency", "'Soon' is not a CAP urgency; use one of Immediate, Expected, Future, Past, Unknown");
    }

    [Fact]
    public void Schema_violation_is_reported_with_its_path()
    {
        // CAP fixes the order of elements: scope comes after msgType, not before status.
        var xml = SimpleXmlWith("<status>Exercise</status>\n  <msgType>Alert</msgType>\n  <scope>Public</scope>", "<scope>Public</scope>\n  <status>Exercise</status>\n  <msgType>Alert</msgType>");

        var problem = Assert.Single(CapValidator.Validate(xml));

        Assert.Equal(CapProblemSeverity.Error, problem.Severity);
        Assert.Equal("scope", problem.Path);
        Assert.StartsWith("does not match the CAP 1.2 schema:", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_required_element_is_a_schema_error_on_its_parent()
    {
        var xml = SimpleXmlWith("<event>Grass fire</event>", "");

        var problem = Assert.Single(CapValidator.Validate(xml));

        // The schema notices where the next element arrives instead of the missing one.
        Assert.Equal("info[1].urgency", problem.Path);
        Assert.EndsWith("The element 'info' has invalid child element 'urgency'. List of possible elements expected: 'category, event'.", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resource_mime_type_not_of_type_subtype_form_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Resources = [new CapResource { ResourceDesc = "map", MimeType = "png", Uri = "https://x.example/map.png" }] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].resource[1].mimeType", "'png' is not a MIME type of the form type/subtype");
    }

    [Fact]
    public void Relative_resource_uri_without_deref_uri_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Resources = [new CapResource { ResourceDesc = "map", MimeType = "image/png", Uri = "map.png" }] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].resource[1].uri", "'map.png' is relative");
    }

    [Fact]
    public void Deref_uri_that_is_not_base64_is_an_error()
    {
        var problems = CapValidator.Validate(WithInfo(Info with { Resources = [new CapResource { ResourceDesc = "note", MimeType = "text/plain", DerefUri = "not base 64!" }] }));

        AssertOnly(problems, CapProblemSeverity.Error, "info[1].resource[1].derefUri", "base-64");
    }

    [Fact]
    public void Paths_count_repeated_blocks_from_one()
    {
        var bad = new CapPolygon([new(1m, 1m), new(2m, 2m), new(3m, 1m), new(1m, 1m)]);
        var secondArea = new CapArea { AreaDesc = "Second", Polygons = [new CapPolygon([new(1m, 1m), new(2m, 2m), new(3m, 1m), new(1m, 1m)]), bad with { Points = [.. bad.Points.Take(3)] }] };
        var secondInfo = Info with { Language = "fr", Areas = [Area, secondArea] };

        var problems = CapValidator.Validate(CapSamples.Simple() with { Infos = [Info, secondInfo] });

        AssertOnly(problems, CapProblemSeverity.Error, "info[2].area[2].polygon[2]", "polygon has 3 coordinate pairs");
    }
}
