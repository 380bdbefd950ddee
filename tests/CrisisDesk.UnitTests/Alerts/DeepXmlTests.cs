using System.Text;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>
/// Documents nested far deeper than any real one: every XML reader refuses them while reading, before anything walks
/// the tree recursively (which ended the process with a stack overflow), and with a reason an operator understands.
/// </summary>
public sealed class DeepXmlTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crisisdesk-deep-xml-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary><paramref name="depth"/> nested elements, built here rather than committed as a huge file.</summary>
    internal static string Nested(int depth, string name = "b")
    {
        var text = new StringBuilder(depth * (2 * name.Length + 5));
        for (var i = 0; i < depth; i++)
        {
            text.Append('<').Append(name).Append('>');
        }
        text.Append("deep");
        for (var i = 0; i < depth; i++)
        {
            text.Append("</").Append(name).Append('>');
        }
        return text.ToString();
    }

    /// <summary>A valid alert whose info.description holds <paramref name="inner"/> (raw XML).</summary>
    internal static string AlertWithDescription(string inner) => CapXml.Write(CapSamples.Simple() with
    {
        Infos = [CapSamples.Simple().Infos[0] with { Description = "MARKER" }],
    }).Replace("MARKER", inner, StringComparison.Ordinal);

    [Fact]
    public void Reading_an_alert_with_150000_nested_elements_in_its_description_is_refused_for_its_depth()
    {
        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(AlertWithDescription(Nested(150_000))));

        Assert.StartsWith($"refused: the document nests elements more than {SafeXml.MaxElementDepth} deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_an_alert_whose_description_holds_markup_is_refused_naming_the_field()
    {
        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(AlertWithDescription("Water <b>rising</b>")));

        Assert.Equal("info[1].description: description holds the element <b>; CAP text elements hold text only (escape '<' as &lt; to show it)", e.Message);
    }

    [Fact]
    public void Markup_at_a_depth_under_the_limit_is_still_refused_in_a_text_element()
    {
        Assert.Throws<CapFormatException>(() => CapXml.Read(AlertWithDescription(Nested(50))));
    }

    [Fact]
    public void Escaped_markup_and_cdata_are_text_and_read_as_such()
    {
        var alert = CapXml.Read(AlertWithDescription("Water &lt;b&gt;rising <![CDATA[<fast>]]>"));

        Assert.Equal("Water <b>rising <fast>", alert.Infos[0].Description);
    }

    [Fact]
    public void The_validator_refuses_a_deep_document_as_one_document_error()
    {
        var problem = Assert.Single(CapValidator.Validate(AlertWithDescription(Nested(200_000))));

        Assert.Equal(CapProblemSeverity.Error, problem.Severity);
        Assert.Equal("document", problem.Path);
        Assert.Contains($"more than {SafeXml.MaxElementDepth} deep", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_validator_reports_markup_in_a_text_element_as_an_error_at_its_path()
    {
        var problems = CapValidator.Validate(AlertWithDescription("Water <b>rising</b>"));

        Assert.Contains(problems, p => p.IsError && p.Path == "info[1].description" && p.Message.Contains("holds the element <b>", StringComparison.Ordinal));
        Assert.False(problems.IsValid());
    }

    [Fact]
    public void Too_many_elements_are_refused_even_when_shallow()
    {
        var many = string.Concat(Enumerable.Repeat("<code>x</code>", SafeXml.MaxElements + 1));
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<scope>Public</scope>", "<scope>Public</scope>" + many, StringComparison.Ordinal);

        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(xml));

        Assert.StartsWith($"refused: the document has more than {SafeXml.MaxElements} elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cap_validate_on_a_200000_deep_file_reports_the_depth_and_exits_1()
    {
        var path = Path.Combine(directory, "deep.cap");
        File.WriteAllText(path, AlertWithDescription(Nested(200_000)));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = CapValidateCommand.Run([path], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitInvalid, exit);
        Assert.StartsWith($"{path}: document: error: refused: the document nests elements more than {SafeXml.MaxElementDepth} deep", stdout.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><description>{0}</description></item></channel></rss>")]
    [InlineData("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id><title>x</title><content type=\"xhtml\">{0}</content></entry></feed>")]
    [InlineData("<rss version=\"2.0\"><channel>{0}</channel></rss>")]
    public void The_feed_parser_refuses_a_deep_feed(string template)
    {
        var xml = template.Replace("{0}", Nested(200_000, "div"), StringComparison.Ordinal);

        var e = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.StartsWith($"refused: the document nests elements more than {SafeXml.MaxElementDepth} deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_feed_parser_refuses_a_feed_of_too_many_elements()
    {
        var xml = "<rss version=\"2.0\"><channel>" + string.Concat(Enumerable.Repeat("<x/>", SafeXml.MaxElements + 1)) + "</channel></rss>";

        var e = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.StartsWith($"refused: the document has more than {SafeXml.MaxElements} elements", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cap_feed_alert_reader_refuses_a_deep_alert()
    {
        var e = Assert.Throws<FeedFormatException>(() => CapAlertReader.Read(Encoding.UTF8.GetBytes(AlertWithDescription(Nested(100_000)))));

        Assert.StartsWith($"refused: the document nests elements more than {SafeXml.MaxElementDepth} deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Real_feeds_and_alerts_are_well_inside_the_limits()
    {
        foreach (var name in new[] { "bbc-news.rss.xml", "news-site.atom.xml", "wordpress.rss.xml" })
        {
            Assert.NotEmpty(FeedParser.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Feeds", name))).Entries);
        }
        Assert.NotNull(CapXml.Read(CapSamples.ReadFixture("australia.cap")));
    }
}
