using System.Text.Json;
using CrisisDesk.Ingest.Connectors.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public sealed class FeedProbeTests : IAsyncLifetime
{
    private FakeFeedServer _server = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => _server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(int Exit, List<JsonElement> Lines, string Errors)> Probe(string kind, string target)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await FeedProbe.RunAsync(kind, target, stdout, stderr, _http, CancellationToken.None);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (exit, lines, stderr.ToString());
    }

    [Fact]
    public async Task A_local_rss_file_prints_one_json_line_per_item()
    {
        var (exit, lines, errors) = await Probe("rss", FeedFixtures.PathOf("bbc-news.rss.xml"));

        Assert.Equal(0, exit);
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal("news", l.GetProperty("platform").GetString()));
        Assert.Equal("BBC News", lines[0].GetProperty("extra").GetProperty("outlet").GetString());
        Assert.Contains("read BBC News: 4 entries", errors);
    }

    [Fact]
    public async Task An_atom_feed_over_http_is_read_and_a_kind_mismatch_is_only_a_warning()
    {
        _server.Script("/atom.xml", Respond.Bytes(FeedFixtures.Bytes("news-site.atom.xml"), contentType: "application/atom+xml"));

        var (exit, lines, errors) = await Probe("rss", _server.Url("/atom.xml").ToString());

        Assert.Equal(0, exit);
        Assert.Equal(3, lines.Count);
        Assert.Contains("warning: asked for rss but the document is an Atom feed", errors);
        Assert.Contains(lines, l => l.GetProperty("url").GetString() == _server.Url("/2026/11/21/road-closures").ToString());
    }

    [Fact]
    public async Task A_cap_feed_over_http_prints_official_alerts()
    {
        _server.Script("/cap/index.atom", Respond.Bytes(FeedFixtures.Bytes("cap/index.atom.xml")));
        foreach (var name in new[] { "earthquake", "weather", "australia" })
        {
            _server.Script($"/cap/{name}.cap", Respond.Bytes(FeedFixtures.Bytes($"cap/{name}.cap")));
        }

        var (exit, lines, _) = await Probe("cap-feed", _server.Url("/cap/index.atom").ToString());

        Assert.Equal(0, exit);
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Equal("official-alert", l.GetProperty("extra").GetProperty("kind").GetString()));
        Assert.Equal("Severe", lines[1].GetProperty("extra").GetProperty("severity").GetString());
    }

    [Fact]
    public async Task A_remote_cap_index_cannot_make_the_probe_read_local_files()
    {
        var index = FeedFixtures.Text("cap/index.atom.xml").Replace("href=\"earthquake.cap\"", "href=\"file://" + FeedFixtures.PathOf("cap/earthquake.cap") + "\"", StringComparison.Ordinal);
        _server.Script("/cap/index.atom", Respond.Xml(index));
        _server.Script("/cap/weather.cap", Respond.Bytes(FeedFixtures.Bytes("cap/weather.cap")));
        _server.Script("/cap/australia.cap", Respond.Bytes(FeedFixtures.Bytes("cap/australia.cap")));

        var (exit, lines, errors) = await Probe("cap-feed", _server.Url("/cap/index.atom").ToString());

        Assert.Equal(0, exit);
        Assert.Equal(2, lines.Count);
        Assert.Contains("no usable link to a CAP document (file://", errors);
    }

    [Fact]
    public async Task A_local_cap_index_reads_linked_alerts_beside_it()
    {
        var (exit, lines, _) = await Probe("cap-feed", FeedFixtures.PathOf("cap/index.atom.xml"));

        Assert.Equal(0, exit);
        Assert.Equal(["cap", "cap", "cap"], lines.Select(l => l.GetProperty("platform").GetString()));
    }

    [Fact]
    public async Task An_unsafe_document_is_refused_with_exit_2_and_the_reason()
    {
        var path = Path.Combine(Path.GetTempPath(), $"crisisdesk-xxe-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(path, string.Format(System.Globalization.CultureInfo.InvariantCulture, FeedFixtures.Xxe, "file:///etc/passwd"));
        try
        {
            var (exit, lines, errors) = await Probe("rss", path);

            Assert.Equal(FeedProbe.ExitRefused, exit);
            Assert.Empty(lines);
            Assert.Contains("refused:", errors);
            Assert.Contains("DTD", errors);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("rss", "ftp://feeds.example/rss.xml", FeedProbe.ExitRefused, "only http, https or a local file")]
    [InlineData("rss", "/nonexistent/feed.xml", FeedProbe.ExitUnreachable, "no such file")]
    [InlineData("json", "/nonexistent/feed.xml", FeedProbe.ExitUsage, "unknown feed kind 'json'")]
    public async Task Refusals_have_distinct_exit_codes_and_reasons(string kind, string target, int expectedExit, string reason)
    {
        var (exit, lines, errors) = await Probe(kind, target);

        Assert.Equal(expectedExit, exit);
        Assert.Empty(lines);
        Assert.Contains(reason, errors);
    }

    [Fact]
    public async Task Http_errors_and_closed_ports_are_unreachable()
    {
        _server.Script("/gone.xml", Respond.Status(410));
        var (exit, _, errors) = await Probe("atom", _server.Url("/gone.xml").ToString());
        Assert.Equal(FeedProbe.ExitUnreachable, exit);
        Assert.Contains("HTTP 410", errors);

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (exit, _, errors) = await Probe("atom", $"http://127.0.0.1:{port}/feed.xml");
        Assert.Equal(FeedProbe.ExitUnreachable, exit);
        Assert.StartsWith("unreachable:", errors);
    }
}
