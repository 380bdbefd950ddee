using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Ingest.Connectors.Feeds;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Feeds;

/// <summary>
/// What a hostile tester and a real agency showed: a redirect to file:// must not stop a running feed source, and a
/// cap-feed source pointed at a single CAP document (how several agencies publish) reads it as a one-item feed.
/// </summary>
public sealed class FeedHardeningTests : IAsyncLifetime
{
    private FakeFeedServer _server = null!;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly RecordingStatus _status = new();

    public async Task InitializeAsync() => _server = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private FeedSourceOptions Fast(string path, FeedSourceKind kind) => new()
    {
        Kind = kind,
        Url = _server.Url(path),
        PollInterval = TimeSpan.FromMilliseconds(1),
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
        RequestTimeout = TimeSpan.FromSeconds(20),
        MaxRetries = 1,
        CircuitMinimumThroughput = 1000,
    };

    internal static Func<HttpContext, Task> RedirectTo(string location) => context =>
    {
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    /// <summary>Reads until the server has answered <paramref name="requests"/> times, then stops; a failure of the source fails the test.</summary>
    private async Task<List<RawItem>> ReadUntilRequested(FeedPollingSource source, string path, int requests)
    {
        using var cancel = new CancellationTokenSource();
        var items = new List<RawItem>();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in source.ReadAsync(null, cancel.Token))
                {
                    lock (items)
                    {
                        items.Add(item);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // stopped by the test
            }
        });
        var stopWhen = _server.WhenRequested(path, requests);
        var first = await Task.WhenAny(stopWhen, reading, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == stopWhen, reading.IsFaulted ? "the source stopped for good: " + reading.Exception!.InnerException : "the awaited request never came");
        await cancel.CancelAsync();
        await reading;
        lock (items)
        {
            return [.. items];
        }
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("file://")]
    [InlineData("gopher://127.0.0.1:70/x")]
    public async Task A_redirect_to_a_non_http_scheme_is_reported_and_the_source_keeps_polling(string location)
    {
        _server.Script("/news.xml", RedirectTo(location), RedirectTo(location), Respond.Xml(FeedFixtures.Rss(("s1", "Story 1"))));

        var items = await ReadUntilRequested(new FeedPollingSource(Fast("/news.xml", FeedSourceKind.Rss), _http, _status), "/news.xml", 4);

        Assert.Single(items, i => i.Format == FeedFormats.NewsItem);
        Assert.Contains(_status.Reports, r => r.State == SourceState.Degraded && r.Detail!.Contains("redirected to a non-http(s) address", StringComparison.Ordinal));
        Assert.Equal(SourceState.Connected, _status.Reports.Last().State);
    }

    [Fact]
    public async Task Probing_a_feed_that_redirects_to_file_says_so_and_reads_nothing()
    {
        _server.Script("/news.xml", RedirectTo("file:///etc/passwd"));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await FeedProbe.RunAsync("rss", _server.Url("/news.xml").ToString(), stdout, stderr, _http, CancellationToken.None);

        Assert.Equal(FeedProbe.ExitUnreachable, exit);
        Assert.Contains("redirected to a non-http(s) address (file:///etc/passwd)", stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public async Task A_cap_feed_pointed_at_a_single_cap_document_delivers_it_once()
    {
        _server.Script("/alert.cap", Respond.Bytes(FeedFixtures.Bytes("cap/australia.cap"), "\"a1\"", "application/cap+xml"));

        var items = await ReadUntilRequested(new FeedPollingSource(Fast("/alert.cap", FeedSourceKind.CapFeed), _http, _status), "/alert.cap", 3);

        var item = Assert.Single(items);
        Assert.Equal(FeedFormats.CapAlert, item.Format);
        var post = FeedNormalisers.Normalise(item.Format, item.Payload.Span).Post!;
        Assert.Equal(("cap", "webmaster@rfs.nsw.gov.au,tag:www.rfs.nsw.gov.au2011-10-06:40184"), (post.Platform, post.ExternalId));
        Assert.DoesNotContain(_status.Reports, r => r.State == SourceState.Failed);
        Assert.Contains(_status.Reports, r => r.State == SourceState.Connected && r.Detail!.Contains("a single CAP alert", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_document_replaced_by_a_new_alert_delivers_the_new_one()
    {
        var first = FeedFixtures.Bytes("cap/australia.cap");
        var second = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(first).Replace("2011-10-06:40184", "2011-10-06:40185", StringComparison.Ordinal));
        _server.Script("/alert.cap", Respond.Bytes(first, "\"a1\""), Respond.Bytes(first, "\"a1\""), Respond.Bytes(second, "\"a2\""));

        var items = await ReadUntilRequested(new FeedPollingSource(Fast("/alert.cap", FeedSourceKind.CapFeed), _http, _status), "/alert.cap", 5);

        Assert.Equal(["tag:www.rfs.nsw.gov.au2011-10-06:40184", "tag:www.rfs.nsw.gov.au2011-10-06:40185"],
            items.Select(i => FeedNormalisers.Normalise(i.Format, i.Payload.Span).Post!.ExternalId.Split(',')[1]));
    }

    [Fact]
    public async Task A_bare_alert_that_is_not_readable_cap_is_rejected_with_the_reason()
    {
        _server.Script("/alert.cap", Respond.Xml("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier></alert>"));

        var items = await ReadUntilRequested(new FeedPollingSource(Fast("/alert.cap", FeedSourceKind.CapFeed), _http, _status), "/alert.cap", 2);

        var rejected = Assert.Single(items);
        Assert.Equal(FeedFormats.Rejected, rejected.Format);
        Assert.Contains(_status.Reports, r => r.Detail == "CAP alert lacks required sender, sent");
    }

    [Fact]
    public async Task An_rss_source_still_refuses_a_cap_document_as_not_a_feed()
    {
        _server.Script("/alert.cap", Respond.Bytes(FeedFixtures.Bytes("cap/australia.cap")));

        var items = await ReadUntilRequested(new FeedPollingSource(Fast("/alert.cap", FeedSourceKind.Rss), _http, _status), "/alert.cap", 2);

        Assert.Equal(FeedFormats.Rejected, Assert.Single(items).Format);
        Assert.Contains(_status.Reports, r => r.State == SourceState.Failed && r.Detail!.StartsWith("not a feed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Probing_a_single_cap_document_as_a_cap_feed_prints_the_alert()
    {
        _server.Script("/alert.cap", Respond.Bytes(FeedFixtures.Bytes("cap/australia.cap")));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await FeedProbe.RunAsync("cap-feed", _server.Url("/alert.cap").ToString(), stdout, stderr, _http, CancellationToken.None);

        Assert.Equal(FeedProbe.ExitRead, exit);
        var line = JsonDocument.Parse(stdout.ToString().Trim()).RootElement;
        Assert.Equal("cap", line.GetProperty("platform").GetString());
    }
}
