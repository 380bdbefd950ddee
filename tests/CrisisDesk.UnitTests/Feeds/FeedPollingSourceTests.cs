using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Ingest.Connectors.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public sealed class FeedPollingSourceTests : IAsyncLifetime
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

    private FeedSourceOptions Fast(string path, FeedSourceKind kind = FeedSourceKind.Rss) => new()
    {
        Kind = kind,
        Url = _server.Url(path),
        PollInterval = TimeSpan.FromMilliseconds(1),
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryAfter = TimeSpan.FromMilliseconds(20),
        RequestTimeout = TimeSpan.FromSeconds(20),
        MaxRetries = 3,
        CircuitMinimumThroughput = 1000,
    };

    /// <summary>Reads the source until <paramref name="stopWhen"/> happens (a request or report, never a clock), then stops it.</summary>
    private static async Task<List<RawItem>> ReadUntil(IIngestSource source, string? cursor, Task stopWhen)
    {
        using var cancel = new CancellationTokenSource();
        var items = new List<RawItem>();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in source.ReadAsync(cursor, cancel.Token))
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

        // A safety net against a hung test, not an assertion about speed.
        var first = await Task.WhenAny(stopWhen, reading, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == stopWhen, reading.IsFaulted ? "the source failed: " + reading.Exception : "the awaited event never happened");
        await cancel.CancelAsync();
        await reading;
        lock (items)
        {
            return [.. items];
        }
    }

    private static List<string> PostIds(IEnumerable<RawItem> items) =>
        items.Select(i => FeedNormalisers.Normalise(i.Format, i.Payload.Span)).Where(r => r.Post is not null).Select(r => r.Post!.ExternalId).ToList();

    private static string FeedOf(int from, int to) => FeedFixtures.Rss(Enumerable.Range(from, to - from + 1).Reverse().Select(i => ($"s{i}", $"Story {i}")).ToArray());

    [Fact]
    public async Task Etag_gives_304_and_only_new_items_are_delivered_each_once()
    {
        _server.Script("/news.xml", Respond.Xml(FeedOf(1, 2), "\"v1\""), Respond.Xml(FeedOf(1, 2), "\"v1\""), Respond.Xml(FeedOf(1, 3), "\"v2\""));
        var source = new FeedPollingSource(Fast("/news.xml"), _http, _status);

        var items = await ReadUntil(source, null, _server.WhenRequested("/news.xml", 5));

        Assert.Equal(["urn:test:s1", "urn:test:s2", "urn:test:s3"], PostIds(items));
        var requests = _server.Requests.Where(r => r.Path == "/news.xml").ToList();
        Assert.Null(requests[0].IfNoneMatch);
        Assert.Equal("\"v1\"", requests[1].IfNoneMatch);
        Assert.Equal("Sat, 21 Nov 2026 14:00:00 GMT", requests[1].IfModifiedSince);
        Assert.Equal("\"v2\"", requests[3].IfNoneMatch);
        Assert.Contains(_status.Reports, r => r.State == SourceState.Connected && r.Detail == "not modified since the last poll");
        Assert.DoesNotContain(SourceState.Failed, _status.States);
    }

    [Fact]
    public async Task A_feed_longer_than_the_seen_limit_does_not_come_back_every_poll()
    {
        _server.Script("/news.xml", Respond.Xml(FeedOf(1, 30)), Respond.Xml(FeedOf(1, 31)));
        var options = Fast("/news.xml") with { MaxSeenIds = 10 };

        var items = await ReadUntil(new FeedPollingSource(options, _http, _status), null, _server.WhenRequested("/news.xml", 3));

        Assert.Equal(Enumerable.Range(1, 31).Select(i => $"urn:test:s{i}"), PostIds(items));
    }

    [Fact]
    public async Task Resuming_from_any_saved_cursor_delivers_exactly_the_rest()
    {
        _server.Script("/news.xml", Respond.Xml(FeedOf(1, 5), "\"v1\""));
        var first = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 2));
        var all = PostIds(first);
        Assert.Equal(5, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());

        for (var k = 0; k < first.Count; k++)
        {
            var before = _server.Count("/news.xml");
            var resumed = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), first[k].Cursor, _server.WhenRequested("/news.xml", before + 2));

            // What was saved up to item k plus what the restarted connector delivers is everything, once.
            Assert.Equal(all.Skip(k + 1), PostIds(resumed));
        }

        // The last item's cursor carries the ETag: a restart after it asks conditionally and gets 304.
        Assert.Equal("\"v1\"", _server.Requests.Last().IfNoneMatch);
    }

    [Fact]
    public async Task Too_many_requests_with_retry_after_is_shown_as_rate_limited_then_items_arrive()
    {
        _server.Script("/news.xml", Respond.Status(429, "120"), Respond.Xml(FeedOf(1, 2), "\"v1\""));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 3));

        Assert.Equal(2, PostIds(items).Count);
        var limited = Assert.Single(_status.Reports, r => r.State == SourceState.RateLimited);
        Assert.NotNull(limited.Until);
        Assert.Contains("HTTP 429", limited.Detail);
        Assert.Equal(SourceState.Connected, _status.Reports.Last().State);
    }

    [Fact]
    public async Task A_503_storm_reports_reconnecting_then_failed_then_recovers_without_loss()
    {
        var storm = Enumerable.Repeat(Respond.Status(503), 5);
        _server.Script("/news.xml", [.. storm, Respond.Xml(FeedOf(1, 3), "\"v1\"")]);

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 8));

        Assert.Equal(["urn:test:s1", "urn:test:s2", "urn:test:s3"], PostIds(items));
        var states = _status.States.Where(s => s != SourceState.Starting).ToList();
        Assert.Equal(SourceState.Reconnecting, states[0]);
        Assert.Contains(_status.Reports, r => r.State == SourceState.Reconnecting && r.Detail!.StartsWith("HTTP 503 ServiceUnavailable; retry 1 of 3 in", StringComparison.Ordinal) && r.Until is not null);
        var failed = states.IndexOf(SourceState.Failed);
        Assert.True(failed > 0);
        Assert.Contains("after 3 retries", _status.Reports.First(r => r.State == SourceState.Failed).Detail);
        Assert.True(states.LastIndexOf(SourceState.Connected) > failed);
    }

    [Fact]
    public async Task A_connection_dropped_mid_body_is_retried_and_nothing_is_doubled()
    {
        _server.Script("/news.xml", Respond.DropMidBody(FeedOf(1, 4)), Respond.Xml(FeedOf(1, 4), "\"v1\""));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 3));

        Assert.Equal(["urn:test:s1", "urn:test:s2", "urn:test:s3", "urn:test:s4"], PostIds(items));
        Assert.Contains(_status.Reports, r => r.State == SourceState.Reconnecting);
        Assert.DoesNotContain(items, i => i.Format == FeedFormats.Rejected);
    }

    [Fact]
    public async Task A_malformed_feed_is_quarantined_once_and_the_connector_keeps_polling()
    {
        const string broken = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Oops</title><item><title>half";
        _server.Script("/news.xml", Respond.Xml(broken), Respond.Xml(broken), Respond.Xml(broken), Respond.Xml(FeedOf(1, 2), "\"v1\""));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 5));

        var rejected = Assert.Single(items, i => i.Format == FeedFormats.Rejected);
        var quarantine = FeedNormalisers.Normalise(rejected.Format, rejected.Payload.Span);
        Assert.StartsWith("malformed XML", quarantine.Error);
        var record = JsonDocument.Parse(rejected.Payload).RootElement;
        Assert.Equal(broken, Encoding.UTF8.GetString(Convert.FromBase64String(record.GetProperty("excerptBase64").GetString()!)));
        Assert.Equal(["urn:test:s1", "urn:test:s2"], PostIds(items));
        Assert.Contains(_status.Reports, r => r.State == SourceState.Failed && r.Detail!.StartsWith("malformed XML", StringComparison.Ordinal));
        Assert.Equal(SourceState.Connected, _status.Reports.Last().State);
    }

    [Fact]
    public async Task A_feed_with_an_external_entity_is_refused_and_the_entity_never_fetched()
    {
        var xxe = string.Format(System.Globalization.CultureInfo.InvariantCulture, FeedFixtures.Xxe, _server.Url("/secret"));
        _server.Script("/news.xml", Respond.Xml(xxe));
        _server.Script("/secret", Respond.Xml("top secret"));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 3));

        Assert.Equal(0, _server.Count("/secret"));
        var rejected = Assert.Single(items);
        Assert.Contains("DTD", FeedNormalisers.Normalise(rejected.Format, rejected.Payload.Span).Error);
    }

    [Fact]
    public async Task An_entity_expansion_bomb_is_refused_and_quarantined()
    {
        _server.Script("/news.xml", Respond.Xml(FeedFixtures.BillionLaughs));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 3));

        var rejected = Assert.Single(items);
        Assert.StartsWith("refused: the document declares a DTD", FeedNormalisers.Normalise(rejected.Format, rejected.Payload.Span).Error);
        Assert.Equal(SourceState.Failed, _status.Reports.Last().State);
    }

    [Fact]
    public async Task An_endless_body_is_cut_off_at_the_cap_while_reading()
    {
        _server.Script("/news.xml", Respond.Endless());
        var options = Fast("/news.xml") with { MaxDocumentBytes = 64 * 1024 };

        var items = await ReadUntil(new FeedPollingSource(options, _http, _status), null, _server.WhenRequested("/news.xml", 3));

        var rejected = Assert.Single(items);
        Assert.StartsWith("refused: the document is larger than 65536 bytes", FeedNormalisers.Normalise(rejected.Format, rejected.Payload.Span).Error);
        Assert.True(JsonDocument.Parse(rejected.Payload).RootElement.GetProperty("length").GetInt64() <= FeedRejection.MaxExcerptBytes);
    }

    [Fact]
    public async Task A_declared_length_over_the_cap_is_refused_before_reading()
    {
        _server.Script("/news.xml", Respond.Xml(FeedOf(1, 200)));
        var options = Fast("/news.xml") with { MaxDocumentBytes = 4096 };

        var items = await ReadUntil(new FeedPollingSource(options, _http, _status), null, _server.WhenRequested("/news.xml", 2));

        Assert.Contains("larger than 4096 bytes", FeedNormalisers.Normalise(items[0].Format, items[0].Payload.Span).Error);
    }

    [Fact]
    public async Task Invalid_utf8_is_quarantined_with_an_encoding_reason()
    {
        byte[] bad = [.. Encoding.UTF8.GetBytes(FeedOf(1, 1)[..120]), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(FeedOf(1, 1)[120..])];
        _server.Script("/news.xml", Respond.Bytes(bad));

        var items = await ReadUntil(new FeedPollingSource(Fast("/news.xml"), _http, _status), null, _server.WhenRequested("/news.xml", 2));

        Assert.StartsWith("invalid bytes for the declared encoding", FeedNormalisers.Normalise(items[0].Format, items[0].Payload.Span).Error);
    }

    [Fact]
    public async Task Keywords_keep_only_matching_items_and_record_what_matched()
    {
        _server.Script("/bbc.xml", Respond.Bytes(FeedFixtures.Bytes("bbc-news.rss.xml"), "\"b1\""));
        var options = Fast("/bbc.xml") with { Keywords = ["flood", "dam"] };

        var items = await ReadUntil(new FeedPollingSource(options, _http, _status), null, _server.WhenRequested("/bbc.xml", 2));

        var posts = items.Select(i => FeedNormalisers.Normalise(i.Format, i.Payload.Span).Post!).ToList();
        Assert.Equal(["c9w1drone4o", "c9w1dam002o", "c9w1flood01o"], posts.Select(p => p.Url!.Split('/')[^1]));
        Assert.Equal("dam", JsonDocument.Parse(posts[1].Extra!).RootElement.GetProperty("matched")[0].GetString());
    }

    [Fact]
    public async Task Circuit_opens_on_persistent_failure_and_stops_calling_the_server()
    {
        _server.Script("/news.xml", Respond.Status(503));
        var options = Fast("/news.xml") with { CircuitMinimumThroughput = 2, CircuitBreakDuration = TimeSpan.FromHours(1), MaxRetries = 1 };
        var source = new FeedPollingSource(options, _http, _status);
        // Reported by a poll that found the circuit open: it made no request.
        var pollRefusedByCircuit = _status.WhenReported(d => d?.StartsWith("circuit open after repeated failures; next attempt", StringComparison.Ordinal) == true);

        await ReadUntil(source, null, pollRefusedByCircuit);

        Assert.Equal(2, _server.Count("/news.xml"));
        var states = _status.States.ToList();
        Assert.Equal([SourceState.Starting, SourceState.Reconnecting, SourceState.Failed, SourceState.Failed, SourceState.Failed], states);
        Assert.StartsWith("circuit open after repeated failures (HTTP 503", _status.Reports.ElementAt(2).Detail);
        Assert.NotNull(_status.Reports.Last().Until);
    }

    private void ScriptCapFeed(Func<Microsoft.AspNetCore.Http.HttpContext, Task>? weather = null, Func<Microsoft.AspNetCore.Http.HttpContext, Task>? australia = null)
    {
        _server.Script("/cap/index.atom", Respond.Bytes(FeedFixtures.Bytes("cap/index.atom.xml"), "\"i1\"", "application/atom+xml"));
        _server.Script("/cap/earthquake.cap", Respond.Bytes(FeedFixtures.Bytes("cap/earthquake.cap"), contentType: "application/cap+xml"));
        _server.Script("/cap/weather.cap", weather ?? Respond.Bytes(FeedFixtures.Bytes("cap/weather.cap"), contentType: "application/cap+xml"));
        _server.Script("/cap/australia.cap", australia ?? Respond.Bytes(FeedFixtures.Bytes("cap/australia.cap"), contentType: "application/cap+xml"));
    }

    [Fact]
    public async Task Cap_index_entries_become_official_alerts_fetched_once()
    {
        ScriptCapFeed();

        var items = await ReadUntil(new FeedPollingSource(Fast("/cap/index.atom", FeedSourceKind.CapFeed), _http, _status), null, _server.WhenRequested("/cap/index.atom", 3));

        Assert.All(items, i => Assert.Equal(FeedFormats.CapAlert, i.Format));
        var posts = items.Select(i => new CapAlertNormaliser().Normalise(i.Payload.Span).Post!).ToList();
        Assert.Equal(
            ["webmaster@rfs.nsw.gov.au,tag:www.rfs.nsw.gov.au2011-10-06:40184", "w-nws.webmaster@noaa.gov,NOAA-NWS-ALERTS-MT20100830100700TFXFlashFloodWatchTFX20100830180000MT", "http://earthquake.usgs.gov/research/monitoring/anss/neic/,USGS-earthquakes-us2010apcd.6.20100831T000925.496Z"],
            posts.Select(p => p.ExternalId));
        Assert.All(posts, p => Assert.Equal("official-alert", JsonDocument.Parse(p.Extra!).RootElement.GetProperty("kind").GetString()));
        Assert.Equal(1, _server.Count("/cap/earthquake.cap"));
        Assert.Equal(1, _server.Count("/cap/weather.cap"));
        Assert.Equal(1, _server.Count("/cap/australia.cap"));
    }

    [Fact]
    public async Task A_cap_document_that_stays_unavailable_waits_for_the_next_poll_and_none_is_lost()
    {
        ScriptCapFeed(weather: Respond.Status(503));
        var waitForFailure = _status.WhenReported(d => d?.Contains("weather.cap", StringComparison.Ordinal) == true);
        var options = Fast("/cap/index.atom", FeedSourceKind.CapFeed);
        var source = new FeedPollingSource(options, _http, _status);

        // First run: australia (oldest first) arrives, weather fails after its retries; stop there and "restart".
        var firstRun = await ReadUntil(source, null, Task.WhenAll(waitForFailure, _server.WhenRequested("/cap/index.atom", 2)));
        Assert.Equal(["webmaster@rfs.nsw.gov.au,tag:www.rfs.nsw.gov.au2011-10-06:40184"], PostIds(firstRun));
        Assert.Equal(SourceState.Failed, _status.Reports.First(r => r.Detail?.Contains("weather.cap", StringComparison.Ordinal) == true).State);

        ScriptCapFeed();
        var before = _server.Count("/cap/index.atom");
        var secondRun = await ReadUntil(new FeedPollingSource(options, _http, _status), firstRun[^1].Cursor, _server.WhenRequested("/cap/index.atom", before + 2));

        Assert.Equal(2, PostIds(secondRun).Count);
        Assert.Equal(3, PostIds(firstRun).Concat(PostIds(secondRun)).Distinct().Count());
        Assert.Equal(1, _server.Count("/cap/australia.cap"));
    }

    [Fact]
    public async Task Missing_or_hostile_cap_documents_are_quarantined_and_the_rest_delivered()
    {
        var xxeCap = "<?xml version=\"1.0\"?><!DOCTYPE alert [<!ENTITY e SYSTEM \"" + _server.Url("/secret") + "\">]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>&e;</identifier></alert>";
        ScriptCapFeed(weather: Respond.Xml(xxeCap), australia: Respond.Status(404));

        var items = await ReadUntil(new FeedPollingSource(Fast("/cap/index.atom", FeedSourceKind.CapFeed), _http, _status), null, _server.WhenRequested("/cap/index.atom", 3));

        var results = items.Select(i => FeedNormalisers.Normalise(i.Format, i.Payload.Span)).ToList();
        Assert.Equal(3, results.Count);
        Assert.Contains("CAP document unavailable: HTTP 404", results[0].Error);
        Assert.Contains("DTD", results[1].Error);
        Assert.Equal("cap", results[2].Post!.Platform);
        Assert.Equal(0, _server.Count("/secret"));
        Assert.Equal(1, _server.Count("/cap/australia.cap"));
    }

    [Fact]
    public async Task A_cap_index_with_a_dtd_is_refused_before_any_alert_is_fetched()
    {
        var index = FeedFixtures.Text("cap/index.atom.xml").Replace("<feed ", "<!DOCTYPE feed [<!ENTITY x \"y\">]><feed ", StringComparison.Ordinal);
        ScriptCapFeed();
        _server.Script("/cap/index.atom", Respond.Xml(index));

        var items = await ReadUntil(new FeedPollingSource(Fast("/cap/index.atom", FeedSourceKind.CapFeed), _http, _status), null, _server.WhenRequested("/cap/index.atom", 2));

        Assert.Equal(FeedFormats.Rejected, Assert.Single(items).Format);
        Assert.Equal(0, _server.Count("/cap/earthquake.cap") + _server.Count("/cap/weather.cap") + _server.Count("/cap/australia.cap"));
    }

    [Fact]
    public void Factory_builds_sources_from_kind_and_json_and_refuses_bad_config()
    {
        Assert.IsType<FeedPollingSource>(FeedSourceFactory.Create("cap-feed", """{"url":"https://alerts.example.gov/cap/index.atom","pollIntervalSeconds":60}""", _http, _status));
        var options = FeedSourceOptions.FromJson("rss", """{"url":"https://feeds.example/rss","keywords":["flood"],"pollIntervalSeconds":30,"maxRetries":2}""");
        Assert.Equal(TimeSpan.FromSeconds(30), options.PollInterval);
        Assert.Equal(["flood"], options.Keywords);
        Assert.Equal(2, options.MaxRetries);
        Assert.Throws<ArgumentException>(() => FeedSourceOptions.FromJson("rss", """{"url":"file:///etc/passwd"}"""));
        Assert.Throws<ArgumentException>(() => FeedSourceOptions.FromJson("gopher", """{"url":"https://x.example/"}"""));
        Assert.True(FeedSourceFactory.Handles("atom"));
    }
}
