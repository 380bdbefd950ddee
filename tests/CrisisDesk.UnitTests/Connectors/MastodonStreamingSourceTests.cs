using System.Collections.Concurrent;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Connectors.Mastodon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class MastodonStreamingSourceTests
{
    private const string Token = "mastodon-secret-token-5678";

    internal static string Id(int n) => (109_000_000_000_000_000L + n).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A status entity as Mastodon's REST and streaming APIs serialise it.</summary>
    internal static string Status(int n, string? editedAt = null, string words = "Road closed") =>
        $$$"""{"id":"{{{Id(n)}}}","created_at":"2026-11-21T10:{{{n / 60:00}}}:{{{n % 60:00}}}.000Z","edited_at":{{{(editedAt is null ? "null" : $"\"{editedAt}\"")}}},"in_reply_to_id":null,"sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://social.example/users/ann/statuses/{{{Id(n)}}}","url":"https://social.example/@ann/{{{Id(n)}}}","content":"<p>{{{words}}} by the <a href=\"https://social.example/tags/flood\" class=\"mention hashtag\" rel=\"tag\">#<span>flood</span></a> &amp; bridge</p>","account":{"id":"1","username":"ann","acct":"ann@social.example","display_name":"Ann"},"media_attachments":[],"tags":[{"name":"flood","url":"https://social.example/tags/flood"}],"reblog":null}""";

    private static string Event(string name, string data) => $"event: {name}\ndata: {data}\n\n";

    [Fact]
    public async Task Survives_errors_drops_silence_and_bad_events_catching_up_through_the_timeline_with_edits_and_deletes()
    {
        var timeline = new ConcurrentDictionary<string, string>();
        var catchUps = new ConcurrentQueue<string>();
        void Publish(int n) => timeline[Id(n)] = Status(n);
        var script = new ConnectionScript()
            .ThenStatus(503).ThenStatus(503)
            .ThenStatus(429)
            .Then(async c =>
            {
                Publish(1);
                Publish(2);
                await FakeServer.WriteAsync(c, ":)\n");
                await FakeServer.WriteAsync(c, Event("update", Status(1)));
                await FakeServer.WriteAsync(c, ":thump\n");
                await FakeServer.WriteAsync(c, Event("update", Status(2)));
                await FakeServer.WriteAsync(c, Event("status.update", Status(1, editedAt: "2026-11-21T10:05:00.000Z", words: "Road reopened")));
                await FakeServer.WriteAsync(c, Event("delete", Id(2)));
                await FakeServer.WriteAsync(c, "event: update\ndata: " + Status(3)[..40]);
                await Task.Delay(200);
                c.Abort();
            })
            .Then(async c =>
            {
                Publish(3); // published while the connector was away: only the timeline has it
                await c.Response.StartAsync();
                await FakeServer.WriteAsync(c, Event("update", Status(3)));
                await FakeServer.WriteAsync(c, Event("update", "{\"id\": \"oops\""));
                await FakeServer.WriteAsync(c, Event("update", new string('[', 100) + new string(']', 100)));
                await FakeServer.WriteAsync(c, Event("update", "{\"id\":\"" + new string('9', 1_100_000) + "\"}"));
                await FakeServer.WriteAsync(c, ":thump\n");
                Publish(4);
                await FakeServer.WriteAsync(c, Event("update", Status(4)));
                await FakeServer.WriteAsync(c, Event("notification", "{\"id\":\"77\",\"type\":\"mention\"}"));
                await FakeServer.SilenceAsync(c);
            })
            .Then(async c =>
            {
                Publish(5);
                await c.Response.StartAsync();
                await FakeServer.WriteAsync(c, Event("update", Status(5)));
                Publish(6);
                await FakeServer.WriteAsync(c, Event("update", Status(6)));
                await FakeServer.SilenceAsync(c);
            });
        await using var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/api/v1/streaming/hashtag", (HttpContext c) =>
            {
                Assert.Equal("flood", c.Request.Query["tag"]);
                Assert.Equal("Bearer " + Token, c.Request.Headers.Authorization);
                c.Response.ContentType = "text/event-stream";
                return script.RunNextAsync(c);
            });
            app.MapGet("/api/v1/timelines/tag/{tag}", (string tag, string min_id, int limit) =>
            {
                catchUps.Enqueue(tag + ">" + min_id);
                // Like Mastodon: the page just after min_id, newest first.
                var page = timeline.Where(s => string.CompareOrdinal(s.Key, min_id) > 0)
                    .OrderBy(s => s.Key, StringComparer.Ordinal).Take(limit).Reverse().Select(s => s.Value);
                return Results.Text("[" + string.Join(",", page) + "]", "application/json");
            });
        });
        var status = new RecordingStatusReporter();
        var source = new MastodonStreamingSource(ConnectorHarness.Http(), new MastodonStreamingOptions
        {
            Instance = server.Address,
            AccessToken = Token,
            Stream = MastodonStream.Hashtag,
            Hashtag = "#flood",
            Timings = ConnectorHarness.FastTimings(),
        }, status);

        static bool Original(CrisisDesk.Core.Posts.Post p) => !StreamPostMarkers.IsEdit(p) && !StreamPostMarkers.IsDeletion(p);
        var collected = await ConnectorHarness.CollectAsync(source, new MastodonStatusNormaliser(),
            items => items.Posts().Where(Original).Select(p => p.ExternalId).Distinct().Count() == 6);

        var posts = collected.Posts();
        Assert.Equal(Enumerable.Range(1, 6).Select(Id), posts.Where(Original).Select(p => p.ExternalId));
        var edit = Assert.Single(posts, StreamPostMarkers.IsEdit);
        Assert.Equal(Id(1), edit.ExternalId);
        Assert.Equal("Road reopened by the #flood & bridge", edit.Text);
        Assert.Equal("2026-11-21T10:05:00.0000000+00:00", StreamPostMarkers.VersionOf(edit));
        var deletion = Assert.Single(posts, StreamPostMarkers.IsDeletion);
        Assert.Equal(Id(2), deletion.ExternalId);
        Assert.Equal("ann@social.example", posts[0].AuthorHandle);

        var errors = collected.Errors();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("malformed JSON", errors[0], StringComparison.Ordinal);
        Assert.Contains("deeper than 64", errors[1], StringComparison.Ordinal);
        Assert.Contains("exceeds the 1048576-byte limit", errors[2], StringComparison.Ordinal);
        Assert.Equal(1, source.Counters.OversizedFrames);

        // Catch-up after each reconnect from the highest id seen; the cursor moves with it.
        Assert.Equal(["flood>" + Id(2), "flood>" + Id(4)], catchUps.ToList());
        Assert.Equal(Id(6), collected[^1].Item.Cursor);

        var states = status.Reports;
        Assert.Equal(2, states.Count(r => r.State == SourceState.Reconnecting && r.Detail!.Contains("HTTP 503", StringComparison.Ordinal)));
        Assert.Single(states, r => r.State == SourceState.RateLimited && r.Until is not null);
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("middle of a frame", StringComparison.Ordinal));
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("no data or keep-alive", StringComparison.Ordinal));
        Assert.Equal(3, states.Count(r => r.State == SourceState.Connected));
        Assert.Equal(SourceState.Stopped, states[^1].State);
        Assert.All(states, r => Assert.DoesNotContain(Token, r.Detail ?? "", StringComparison.Ordinal));
        Assert.True(source.Counters.KeepAlives >= 3);
    }

    [Fact]
    public async Task Resuming_from_a_saved_cursor_reads_the_timeline_page_by_page_before_the_stream()
    {
        var timeline = Enumerable.Range(1, 95).ToDictionary(Id, n => Status(n));
        await using var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/api/v1/streaming/public", async (HttpContext c) =>
            {
                c.Response.ContentType = "text/event-stream";
                await c.Response.StartAsync();
                await FakeServer.WriteAsync(c, Event("update", Status(95)));
                await FakeServer.WriteAsync(c, Event("update", Status(96)));
                await FakeServer.SilenceAsync(c);
            });
            app.MapGet("/api/v1/timelines/public", (string min_id, int limit) =>
            {
                var page = timeline.Where(s => string.CompareOrdinal(s.Key, min_id) > 0)
                    .OrderBy(s => s.Key, StringComparer.Ordinal).Take(limit).Reverse().Select(s => s.Value);
                return Results.Text("[" + string.Join(",", page) + "]", "application/json");
            });
        });
        var source = new MastodonStreamingSource(ConnectorHarness.Http(), new MastodonStreamingOptions
        {
            Instance = server.Address,
            AccessToken = Token,
            Stream = MastodonStream.Public,
            Timings = ConnectorHarness.FastTimings(),
        }, new RecordingStatusReporter());

        var collected = await ConnectorHarness.CollectAsync(source, new MastodonStatusNormaliser(),
            items => items.Posts().Any(p => p.ExternalId == Id(96)), cursor: Id(10));

        Assert.Equal(Enumerable.Range(11, 86).Select(Id), collected.Posts().Select(p => p.ExternalId));
    }
}
