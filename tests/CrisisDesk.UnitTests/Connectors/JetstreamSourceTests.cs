using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Connectors.Bluesky;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class JetstreamSourceTests
{
    private const long T0 = 1_763_700_000_000_000;

    /// <summary>A Jetstream commit event as the service sends it.</summary>
    internal static string Commit(int n, string operation, string rkey, string? text = null, string did = "did:plc:ann")
    {
        var record = text is null ? "" : $$$""","record":{"$type":"app.bsky.feed.post","text":"{{{text}}}","createdAt":"2026-11-21T10:00:00.000Z","langs":["en"]},"cid":"bafy{{{n}}}" """;
        return $$$"""{"did":"{{{did}}}","time_us":{{{T0 + n * 1000}}},"kind":"commit","commit":{"rev":"3l{{{n}}}","operation":"{{{operation}}}","collection":"app.bsky.feed.post","rkey":"{{{rkey}}}"{{{record}}}}}""";
    }

    private static async Task SendAsync(WebSocket socket, string message) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task Filters_keywords_resumes_with_rewind_and_survives_failures_and_bad_frames_without_losing_or_doubling()
    {
        // The service's log: replayed from the requested cursor on every connection, as Jetstream does.
        var log = new ConcurrentQueue<(long Time, string Json)>();
        var cursors = new ConcurrentQueue<string>();
        async Task Live(WebSocket socket, int n, string operation, string rkey, string? text = null, string did = "did:plc:ann")
        {
            var json = Commit(n, operation, rkey, text, did);
            log.Enqueue((T0 + n * 1000, json));
            await SendAsync(socket, json);
        }
        async Task<WebSocket> AcceptAndReplayAsync(HttpContext c)
        {
            var socket = await c.WebSockets.AcceptWebSocketAsync();
            if (long.TryParse(c.Request.Query["cursor"], out var from))
            {
                foreach (var (time, json) in log.Where(e => e.Time >= from))
                {
                    await SendAsync(socket, json);
                }
            }
            return socket;
        }
        var script = new ConnectionScript()
            .ThenStatus(503)
            .ThenStatus(429, ("Retry-After", "0"))
            .Then(async c =>
            {
                var socket = await AcceptAndReplayAsync(c);
                await Live(socket, 1, "create", "p1", "Flood warning for the river");
                await Live(socket, 2, "create", "p2", "Look at my cat", did: "did:plc:bob");
                await Live(socket, 3, "create", "p3", "FLOODING on Main St");
                await Live(socket, 4, "update", "p1", "Flood warning lifted");
                await Live(socket, 5, "delete", "p2", did: "did:plc:bob");
                await Live(socket, 6, "delete", "p3");
                await SendAsync(socket, $$$"""{"did":"did:plc:ann","time_us":{{{T0 + 6500}}},"kind":"identity","identity":{"did":"did:plc:ann","handle":"ann.bsky.social","seq":1,"time":"2026-11-21T10:00:00Z"}}""");
                await socket.SendAsync(Encoding.UTF8.GetBytes(Commit(7, "create", "p7", "flood")[..30]), WebSocketMessageType.Text, false, CancellationToken.None);
                await Task.Delay(200);
                c.Abort();
            })
            .Then(async c =>
            {
                var socket = await AcceptAndReplayAsync(c);
                await SendAsync(socket, "{\"did\":\"did:plc:x\",\"time_us\":");
                await socket.SendAsync((byte[])[.. "{\"did\":\"did:plc:x\",\"kind\":\"commit\",\"text\":\"flood "u8, 0xFF, .. "\"}"u8], WebSocketMessageType.Binary, true, CancellationToken.None);
                await SendAsync(socket, new string('{', 1) + string.Concat(Enumerable.Repeat("\"a\":{", 100)) + string.Concat(Enumerable.Repeat("}", 101)));
                await SendAsync(socket, "{\"pad\":\"" + new string('x', 1_100_000) + "\"}");
                await Live(socket, 7, "create", "p7", "flood barriers up");
                await FakeServer.SilenceAsync(c);
            })
            .Then(async c =>
            {
                var socket = await AcceptAndReplayAsync(c);
                await Live(socket, 8, "create", "p8", "Flood: evacuation centre open");
                await FakeServer.SilenceAsync(c);
            });
        await using var server = await FakeServer.StartAsync(app => app.Map("/subscribe", (HttpContext c) =>
        {
            Assert.Equal("app.bsky.feed.post", c.Request.Query["wantedCollections"]);
            cursors.Enqueue(c.Request.Query["cursor"].ToString());
            return script.RunNextAsync(c);
        }));
        var status = new RecordingStatusReporter();
        var endpoint = new UriBuilder(server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri;
        var source = new JetstreamSource(new JetstreamOptions
        {
            Endpoint = endpoint,
            Keywords = ["flood"],
            Timings = ConnectorHarness.FastTimings(),
        }, status);

        var collected = await ConnectorHarness.CollectAsync(source, new BlueskyJetstreamNormaliser(),
            items => items.Posts().Any(p => p.ExternalId.EndsWith("/p8", StringComparison.Ordinal)));

        var posts = collected.Posts();
        static bool Original(CrisisDesk.Core.Posts.Post p) => !StreamPostMarkers.IsEdit(p) && !StreamPostMarkers.IsDeletion(p);
        Assert.Equal(["p1", "p3", "p7", "p8"], posts.Where(Original).Select(p => p.ExternalId.Split('/')[^1]));
        var edit = Assert.Single(posts, StreamPostMarkers.IsEdit);
        Assert.Equal("at://did:plc:ann/app.bsky.feed.post/p1", edit.ExternalId);
        Assert.Equal("Flood warning lifted", edit.Text);
        Assert.Equal("bafy4", StreamPostMarkers.VersionOf(edit));
        var deletion = Assert.Single(posts, StreamPostMarkers.IsDeletion);
        Assert.Equal("at://did:plc:ann/app.bsky.feed.post/p3", deletion.ExternalId);

        var errors = collected.Errors();
        Assert.Equal(4, errors.Count);
        Assert.StartsWith("malformed JSON", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("invalid UTF-8", errors[1], StringComparison.Ordinal);
        Assert.Contains("deeper than 64", errors[2], StringComparison.Ordinal);
        Assert.Contains("exceeds the", errors[3], StringComparison.Ordinal);

        // First connection from now; later ones from the latest event seen, rewound 5 s. Whether p7 arrives on the
        // second connection before the oversized frame ends it depends on timing, so the last cursor is one of two.
        var asked = cursors.ToList();
        Assert.Equal(["", "", "", (T0 + 6500 - 5_000_000).ToString()], asked.Take(4));
        Assert.Equal(5, asked.Count);
        Assert.Contains(asked[4], new[] { (T0 + 6500 - 5_000_000).ToString(), (T0 + 7000 - 5_000_000).ToString() });
        Assert.Equal((T0 + 8000).ToString(), collected[^1].Item.Cursor);
        Assert.True(source.Counters.DuplicatesDropped >= 5);
        Assert.True(source.Counters.FilteredOut >= 2);

        var states = status.Reports;
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("HTTP 503", StringComparison.Ordinal));
        Assert.Single(states, r => r.State == SourceState.RateLimited);
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("middle of a message", StringComparison.Ordinal));
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("no data or keep-alive", StringComparison.Ordinal));
        Assert.Equal(3, states.Count(r => r.State == SourceState.Connected));
        Assert.Equal(SourceState.Stopped, states[^1].State);
    }

    [Fact]
    public async Task Deletes_by_authors_whose_posts_are_stored_are_forwarded_even_after_a_restart_and_others_are_not()
    {
        await using var server = await FakeServer.StartAsync(app => app.Map("/subscribe", async (HttpContext c) =>
        {
            var socket = await c.WebSockets.AcceptWebSocketAsync();
            // p1 by ann was stored before this connector started; bob's p2 never was; carol's p3 is handed over now.
            await SendAsync(socket, Commit(1, "delete", "p1"));
            await SendAsync(socket, Commit(2, "delete", "p2", did: "did:plc:bob"));
            await SendAsync(socket, Commit(3, "create", "p3", "flood at the ford", did: "did:plc:carol"));
            await SendAsync(socket, Commit(4, "delete", "p3", did: "did:plc:carol"));
            await SendAsync(socket, Commit(5, "create", "p5", "flood sirens", did: "did:plc:dan"));
            await FakeServer.SilenceAsync(c);
        }));
        var loads = 0;
        var source = new JetstreamSource(new JetstreamOptions
        {
            Endpoint = new UriBuilder(server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri,
            Keywords = ["flood"],
            Timings = ConnectorHarness.FastTimings(),
            StoredAuthors = _ =>
            {
                Interlocked.Increment(ref loads);
                return Task.FromResult<IReadOnlyCollection<string>>(["did:plc:ann"]);
            },
        }, new RecordingStatusReporter());

        var collected = await ConnectorHarness.CollectAsync(source, new BlueskyJetstreamNormaliser(),
            items => items.Posts().Any(p => p.ExternalId.EndsWith("/p5", StringComparison.Ordinal)), cursor: (T0 - 1000).ToString());

        Assert.Equal(["at://did:plc:ann/app.bsky.feed.post/p1", "at://did:plc:carol/app.bsky.feed.post/p3"],
            collected.Posts().Where(StreamPostMarkers.IsDeletion).Select(p => p.ExternalId));
        Assert.Equal(1, loads);
        Assert.Equal(1, source.Counters.FilteredOut);
    }

    [Fact]
    public async Task Resuming_from_a_saved_cursor_asks_for_it_minus_the_rewind()
    {
        var cursors = new ConcurrentQueue<string>();
        await using var server = await FakeServer.StartAsync(app => app.Map("/subscribe", async (HttpContext c) =>
        {
            cursors.Enqueue(c.Request.Query["cursor"].ToString());
            var socket = await c.WebSockets.AcceptWebSocketAsync();
            await SendAsync(socket, Commit(9, "create", "p9", "flood"));
            await FakeServer.SilenceAsync(c);
        }));
        var source = new JetstreamSource(new JetstreamOptions
        {
            Endpoint = new UriBuilder(server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri,
            Rewind = TimeSpan.FromSeconds(5),
            Timings = ConnectorHarness.FastTimings(),
        }, new RecordingStatusReporter());

        var collected = await ConnectorHarness.CollectAsync(source, new BlueskyJetstreamNormaliser(), items => items.Count == 1,
            cursor: (T0 + 5000).ToString());

        Assert.Equal((T0 + 5000 - 5_000_000).ToString(), cursors.First());
        Assert.Equal("at://did:plc:ann/app.bsky.feed.post/p9", Assert.Single(collected.Posts()).ExternalId);
    }
}
