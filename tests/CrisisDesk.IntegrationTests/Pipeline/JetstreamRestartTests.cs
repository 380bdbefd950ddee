using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>
/// A Bluesky post stored by one run of the connector, then deleted by its author while CrisisDesk was down: the next
/// run (a new connector, resuming from the saved cursor) must still mark it deleted, through the real ingest host
/// factory, pipeline and writer against a fake Jetstream speaking its wire format.
/// </summary>
public sealed class JetstreamRestartTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const long T0 = 1_763_700_000_000_000;

    private static string Commit(int n, string operation, string rkey, string did, string? text = null)
    {
        var record = text is null ? "" : $$$""","record":{"$type":"app.bsky.feed.post","text":"{{{text}}}","createdAt":"2026-11-21T10:00:00.000Z","langs":["en"]},"cid":"bafy{{{n}}}" """;
        return $$$"""{"did":"{{{did}}}","time_us":{{{T0 + n * 1000}}},"kind":"commit","commit":{"rev":"3l{{{n}}}","operation":"{{{operation}}}","collection":"app.bsky.feed.post","rkey":"{{{rkey}}}"{{{record}}}}}""";
    }

    [Fact]
    public async Task A_delete_arriving_after_a_restart_is_applied_to_the_post_stored_before_it()
    {
        // The service replays its log from the requested cursor on each connection, as Jetstream does.
        var log = new ConcurrentQueue<(long Time, string Json)>();
        void Append(int n, string json) => log.Enqueue((T0 + n * 1000, json));
        Append(1, Commit(1, "create", "p1", "did:plc:ann", "Flood water in the underpass"));
        Append(2, Commit(2, "create", "p2", "did:plc:bob", "Nice weather for ducks"));
        await using var server = await JetstreamServer.StartAsync(log);

        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            _incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Jetstream restart') RETURNING id");
            _sourceId = await connection.ExecuteScalarAsync<int>(
                "INSERT INTO sources (incident_id, kind, name, config) VALUES (@incidentId, 'bluesky', 'Bluesky', @config::jsonb) RETURNING id",
                new { incidentId = _incidentId, config = $$"""{"keywords":["flood"],"endpoint":"{{server.Endpoint}}","rewindSeconds":0}""" });
        }

        // First run: p1 (matching) is stored, then CrisisDesk stops.
        await RunUntilAsync("SELECT count(*) = 1 FROM posts WHERE source_id = @sourceId");
        // While it is down, ann deletes p1 (and strangers delete their own posts); the next run resumes from the cursor.
        Append(3, Commit(3, "delete", "p1", "did:plc:ann"));
        Append(4, Commit(4, "delete", "p2", "did:plc:bob"));
        Append(5, Commit(5, "create", "p5", "did:plc:cat", "Flood barrier going up"));
        await RunUntilAsync("SELECT count(*) = 2 FROM posts WHERE source_id = @sourceId");

        await using var check = await database.DataSource.OpenConnectionAsync();
        var p1 = await check.QuerySingleAsync<(string Text, DateTime? DeletedAt)>(
            "SELECT text, deleted_at FROM posts WHERE source_id = @sourceId AND external_id LIKE '%/p1'", new { sourceId = _sourceId });
        Assert.Equal("Flood water in the underpass", p1.Text);
        Assert.NotNull(p1.DeletedAt);
        // bob's delete was not even forwarded (no post of his is held), so nothing counts it as unmatched.
        Assert.Equal((1L, 0L), await check.QuerySingleAsync<(long, long)>(
            "SELECT deletions_applied, deletions_unmatched FROM sources WHERE id = @sourceId", new { sourceId = _sourceId }));
        Assert.Equal(2, server.Connections);
    }

    private int _incidentId;
    private int _sourceId;

    /// <summary>
    /// Starts the source as the ingest host would (its factory, from the stored config and cursor), waits until
    /// <paramref name="condition"/> holds in the database and the cursor is saved past everything sent, then stops it.
    /// </summary>
    private async Task RunUntilAsync(string condition)
    {
        SourceDefinition definition;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            definition = await connection.QuerySingleAsync<SourceDefinition>("""
                SELECT id, incident_id AS IncidentId, kind, name, config::text AS Config, cursor, posts_stored AS PostsStored,
                       quarantined, last_item_at AS LastItemAt, edits_stored AS EditsStored, deletions_applied AS DeletionsApplied,
                       deletions_unmatched AS DeletionsUnmatched
                  FROM sources WHERE id = @sourceId
                """, new { sourceId = _sourceId });
        }
        var monitor = new SourceMonitor();
        monitor.Register(new SourceStatus(_sourceId, _incidentId, "bluesky", "Bluesky", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var factory = new StreamingKindFactory("bluesky", new StreamingSourceFactory(http, _ => null), new StoredPostDirectory(database.DataSource));
        var source = factory.Create(definition, monitor.ReporterFor(_sourceId));
        var pipeline = new IngestPipeline(new PostWriter(database.DataSource), new LiveFeed(), monitor, new IngestPipelineOptions(),
            PostFormats.Default, NullLogger<IngestPipeline>.Instance);
        using var stop = new CancellationTokenSource();
        var run = pipeline.RunAsync(new SourceRun(_sourceId, _incidentId, source, definition.Cursor), stop.Token);
        try
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                await using (var connection = await database.DataSource.OpenConnectionAsync())
                {
                    if (await connection.ExecuteScalarAsync<bool>(condition, new { sourceId = _sourceId }))
                        break;
                }
                if (guard.IsCancellationRequested)
                    throw new TimeoutException($"the source never reached \"{condition}\"; state: {monitor.Get(_sourceId)}");
                await Task.Delay(50, CancellationToken.None);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    /// <summary>A WebSocket endpoint replaying a log after the requested <c>cursor</c>, then holding the connection open.</summary>
    private sealed class JetstreamServer : IAsyncDisposable
    {
        private FakeServer _server = default!;
        private int _connections;

        public Uri Endpoint => new UriBuilder(_server.Address) { Scheme = "ws", Path = "/subscribe" }.Uri;

        public int Connections => Volatile.Read(ref _connections);

        public static async Task<JetstreamServer> StartAsync(ConcurrentQueue<(long Time, string Json)> log)
        {
            var server = new JetstreamServer();
            server._server = await FakeServer.StartAsync(app => app.Map("/subscribe", async (HttpContext context) =>
            {
                Interlocked.Increment(ref server._connections);
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                long.TryParse(context.Request.Query["cursor"], out var from);
                // Strictly after the cursor: with no rewind configured, nothing the first run saw comes again, so the
                // second run knows ann only from the database.
                foreach (var (time, json) in log.Where(e => e.Time > from))
                    await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, context.RequestAborted);
                await FakeServer.SilenceAsync(context);
            }));
            return server;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
