using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.X;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class XFilteredStreamSourceTests
{
    private const string Token = "AAAA-secret-bearer-token-1234";

    /// <summary>A filtered stream line as X sends it: the post, its expansions and the rules it matched.</summary>
    internal static string Line(string id, string text = "Flooding on the A38", string tag = "flood") =>
        $$$"""{"data":{"id":"{{{id}}}","text":"{{{text}}}","author_id":"u1","created_at":"2026-11-21T10:00:0{{{id[^1]}}}.000Z","lang":"en","edit_history_tweet_ids":["{{{id}}}"],"attachments":{"media_keys":["3_1"]},"geo":{"place_id":"p1"}},"includes":{"users":[{"id":"u1","name":"Ann Smith","username":"annsmith"}],"media":[{"media_key":"3_1","type":"photo"}],"places":[{"id":"p1","full_name":"Bristol, England","country_code":"GB"}]},"matching_rules":[{"id":"r1","tag":"{{{tag}}}"}]}""" + "\r\n";

    private sealed class RulesState
    {
        public ConcurrentDictionary<string, (string Value, string? Tag)> Rules { get; } = new() { ["old-1"] = ("old keyword", "old") };
        public ConcurrentQueue<string> Calls { get; } = new();
        public Func<string, string?> Reject { get; init; } = _ => null;
    }

    private static void MapRules(WebApplication app, RulesState state)
    {
        app.MapGet("/2/tweets/search/stream/rules", (HttpContext context) =>
        {
            state.Calls.Enqueue("GET " + context.Request.Headers.Authorization);
            var data = new JsonArray(state.Rules.Select(r => (JsonNode)new JsonObject { ["id"] = r.Key, ["value"] = r.Value.Value, ["tag"] = r.Value.Tag }).ToArray());
            return Results.Text(new JsonObject { ["data"] = data, ["meta"] = new JsonObject { ["result_count"] = data.Count } }.ToJsonString(), "application/json");
        });
        app.MapPost("/2/tweets/search/stream/rules", async (HttpContext context) =>
        {
            var dryRun = context.Request.Query["dry_run"] == "true";
            var body = (await JsonNode.ParseAsync(context.Request.Body))!;
            state.Calls.Enqueue((dryRun ? "DRY " : "POST ") + body.ToJsonString());
            var errors = new JsonArray();
            var created = new JsonArray();
            if (body["add"] is JsonArray add)
            {
                foreach (var rule in add)
                {
                    var value = rule!["value"]!.GetValue<string>();
                    if (state.Reject(value) is { } reason)
                    {
                        errors.Add(new JsonObject { ["value"] = value, ["details"] = new JsonArray(reason), ["title"] = "Invalid Rule", ["type"] = "https://api.twitter.com/2/problems/invalid-rules" });
                    }
                    else if (!dryRun)
                    {
                        var id = "new-" + state.Rules.Count;
                        state.Rules[id] = (value, rule["tag"]?.GetValue<string>());
                        created.Add(new JsonObject { ["id"] = id, ["value"] = value });
                    }
                }
            }
            if (body["delete"]?["ids"] is JsonArray ids && !dryRun)
            {
                foreach (var id in ids)
                {
                    state.Rules.TryRemove(id!.GetValue<string>(), out _);
                }
            }
            var response = new JsonObject
            {
                ["data"] = created,
                ["meta"] = new JsonObject { ["summary"] = new JsonObject { ["created"] = created.Count, ["invalid"] = errors.Count } },
            };
            if (errors.Count > 0)
            {
                response["errors"] = errors;
            }
            context.Response.StatusCode = errors.Count > 0 ? 400 : 200;
            await context.Response.WriteAsync(response.ToJsonString());
        });
    }

    [Fact]
    public async Task Survives_rate_limit_503_storm_drops_silence_and_bad_frames_losing_no_post_and_doubling_none()
    {
        var rules = new RulesState();
        var requests = new ConcurrentQueue<string>();
        var reset = DateTimeOffset.MinValue;
        var deep = new string('[', 200) + new string(']', 200);
        var script = new ConnectionScript()
            .Then(c =>
            {
                // At least a second ahead (the header has whole seconds), so that a connector ignoring it would show an earlier time.
                reset = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2);
                c.Response.StatusCode = 429;
                c.Response.Headers["x-rate-limit-reset"] = reset.ToUnixTimeSeconds().ToString();
                c.Response.Headers["x-rate-limit-remaining"] = "0";
                return Task.CompletedTask;
            })
            .ThenStatus(503).ThenStatus(503).ThenStatus(503)
            .Then(async c =>
            {
                await FakeServer.WriteAsync(c, Line("1001"));
                await FakeServer.WriteAsync(c, "\r\n");
                await FakeServer.WriteAsync(c, Line("1002"));
                var third = Line("1003");
                await FakeServer.WriteAsync(c, third[..(third.Length / 2)]);
                // Let the client read what was sent: a reset discards bytes still unread in its socket.
                await Task.Delay(200);
                c.Abort();
            })
            .Then(async c =>
            {
                // The post cut in half is delivered again, with one already seen (as a backfill would).
                await FakeServer.WriteAsync(c, Line("1002"));
                await FakeServer.WriteAsync(c, Line("1003"));
                await FakeServer.WriteAsync(c, "{\"data\": {\"id\": \"1004\", \"text\": \r\n");
                await FakeServer.WriteAsync(c, deep + "\r\n");
                await FakeServer.WriteAsync(c, [.. "{\"data\":{\"id\":\"1005\",\"text\":\"bad "u8, 0xC3, 0x28, .. "\"}}\r\n"u8]);
                await FakeServer.SilenceAsync(c);
            })
            .Then(async c =>
            {
                await FakeServer.WriteAsync(c, Line("1004"));
                await FakeServer.WriteAsync(c, Line("1005"));
                await FakeServer.WriteAsync(c, Line("1001"));
                await FakeServer.WriteAsync(c, Line("1006"));
                await FakeServer.SilenceAsync(c);
            });
        await using var server = await FakeServer.StartAsync(app =>
        {
            MapRules(app, rules);
            app.MapGet("/2/tweets/search/stream", (HttpContext c) =>
            {
                requests.Enqueue(c.Request.QueryString.Value + " " + c.Request.Headers.Authorization);
                return script.RunNextAsync(c);
            });
        });
        var status = new RecordingStatusReporter();
        var source = new XFilteredStreamSource(ConnectorHarness.Http(), new XFilteredStreamOptions
        {
            BaseAddress = server.Address,
            BearerToken = Token,
            Rules = [new XStreamRule("flood (bristol OR A38) -is:retweet", "flood")],
            BackfillOnReconnect = true,
            Timings = ConnectorHarness.FastTimings(),
        }, status);

        var collected = await ConnectorHarness.CollectAsync(source, new XStreamNormaliser(),
            items => items.Posts().Select(p => p.ExternalId).Distinct().Count() == 6);

        var ids = collected.Posts().Select(p => p.ExternalId).ToList();
        Assert.Equal(["1001", "1002", "1003", "1004", "1005", "1006"], ids);
        var errors = collected.Errors();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("malformed JSON", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("deeper than 64", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("invalid UTF-8", StringComparison.Ordinal));

        var post = collected.Posts()[0];
        Assert.Equal("annsmith", post.AuthorHandle);
        Assert.True(post.HasMedia);
        using (var extra = JsonDocument.Parse(post.Extra!))
        {
            Assert.Equal("flood", extra.RootElement.GetProperty("rule_tags")[0].GetString());
            Assert.Equal("Bristol, England", extra.RootElement.GetProperty("place").GetString());
        }

        // Rules: the old one replaced by the wanted one, validated by a dry run before anything changed.
        Assert.Equal([("flood (bristol OR A38) -is:retweet", "flood")], rules.Rules.Values.ToList());
        var calls = rules.Calls.ToList();
        Assert.StartsWith("DRY ", calls[1], StringComparison.Ordinal);
        Assert.Contains("\"delete\"", calls[2], StringComparison.Ordinal);
        Assert.Equal("Bearer " + Token, calls[0][4..]);

        // Expansions requested; backfill asked for once posts had arrived; the token sent, and never shown.
        var first = requests.First();
        Assert.Contains("expansions=author_id,attachments.media_keys,geo.place_id", first, StringComparison.Ordinal);
        Assert.DoesNotContain("backfill_minutes", first, StringComparison.Ordinal);
        Assert.Contains("backfill_minutes=1", requests.Last(), StringComparison.Ordinal);
        Assert.All(status.Reports, r => Assert.DoesNotContain(Token, r.Detail ?? "", StringComparison.Ordinal));

        // Visible states: starting, rate-limited until X's reset time, reconnecting with a wait, connected; stopped at the end.
        var states = status.Reports;
        Assert.Equal(SourceState.Starting, states[0].State);
        var limited = Assert.Single(states, r => r.State == SourceState.RateLimited);
        Assert.Equal(reset, limited.Until);
        Assert.Contains("HTTP 429", limited.Detail, StringComparison.Ordinal);
        Assert.Equal(3, states.Count(r => r.State == SourceState.Reconnecting && r.Detail!.Contains("HTTP 503", StringComparison.Ordinal)));
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.StartsWith("in ", StringComparison.Ordinal)
            && r.Detail.Contains("middle of a frame", StringComparison.Ordinal));
        Assert.Contains(states, r => r.State == SourceState.Reconnecting && r.Detail!.Contains("no data or keep-alive", StringComparison.Ordinal));
        Assert.Equal(3, states.Count(r => r.State == SourceState.Connected));
        Assert.Equal(SourceState.Stopped, states[^1].State);
        Assert.True(source.Counters.Reconnects >= 6);
        Assert.True(source.Counters.DuplicatesDropped >= 2);
        Assert.True(source.Counters.KeepAlives >= 1);
    }

    [Fact]
    public async Task A_rule_X_refuses_fails_the_source_with_X_reason_before_any_rule_is_removed()
    {
        var rules = new RulesState { Reject = v => v.StartsWith('-') ? "Rules must contain a non-negation term (at position 1)" : null };
        var streamed = 0;
        await using var server = await FakeServer.StartAsync(app =>
        {
            MapRules(app, rules);
            app.MapGet("/2/tweets/search/stream", () => { Interlocked.Increment(ref streamed); return Results.Ok(); });
        });
        var status = new RecordingStatusReporter();
        var source = new XFilteredStreamSource(ConnectorHarness.Http(), new XFilteredStreamOptions
        {
            BaseAddress = server.Address,
            BearerToken = Token,
            Rules = [new XStreamRule("-is:retweet", "bad")],
            Timings = ConnectorHarness.FastTimings(),
        }, status);

        var failure = await Assert.ThrowsAsync<StreamFailureException>(() =>
            ConnectorHarness.CollectAsync(source, new XStreamNormaliser(), _ => false));

        Assert.Contains("non-negation term", failure.Message, StringComparison.Ordinal);
        var failed = Assert.Single(status.Reports, r => r.State == SourceState.Failed);
        Assert.Contains("'-is:retweet': Rules must contain a non-negation term", failed.Detail, StringComparison.Ordinal);
        Assert.Equal("old keyword", Assert.Single(rules.Rules.Values).Value);
        Assert.Equal(0, streamed);
        Assert.Equal("-is:retweet", Assert.Single(source.LastRuleSync!.Rejected).Value);
    }

    [Fact]
    public async Task A_503_storm_opens_the_circuit_shown_as_failed_with_the_reason_then_recovers()
    {
        var script = new ConnectionScript();
        for (var i = 0; i < 3; i++)
        {
            script.ThenStatus(503);
        }
        script.Then(async c =>
        {
            await FakeServer.WriteAsync(c, Line("2001"));
            await FakeServer.SilenceAsync(c);
        });
        await using var server = await FakeServer.StartAsync(app =>
        {
            MapRules(app, new RulesState());
            app.MapGet("/2/tweets/search/stream", script.RunNextAsync);
        });
        var status = new RecordingStatusReporter();
        var source = new XFilteredStreamSource(ConnectorHarness.Http(), new XFilteredStreamOptions
        {
            BaseAddress = server.Address,
            BearerToken = Token,
            Rules = [new XStreamRule("old keyword", "old")],
            Timings = ConnectorHarness.FastTimings(circuitThreshold: 3),
        }, status);

        var collected = await ConnectorHarness.CollectAsync(source, new XStreamNormaliser(), items => items.Posts().Count == 1);

        Assert.Equal("2001", Assert.Single(collected.Posts()).ExternalId);
        var failed = Assert.Single(status.Reports, r => r.State == SourceState.Failed);
        Assert.Contains("3 failed attempts in a row, last: HTTP 503", failed.Detail, StringComparison.Ordinal);
        Assert.NotNull(failed.Until);
        var order = status.Reports.Select(r => r.State).ToList();
        Assert.True(order.LastIndexOf(SourceState.Connected) > order.IndexOf(SourceState.Failed));
    }
}
