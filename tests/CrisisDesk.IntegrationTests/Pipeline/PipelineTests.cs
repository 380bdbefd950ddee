using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>The durable pipeline against a real PostgreSQL: dedupe, quarantine, and crash safety.</summary>
public sealed class PipelineTests
{
    [Fact]
    public async Task Concurrent_writers_delivering_overlapping_posts_store_each_once()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var writer = new PostWriter(database.DataSource);

        // Four writers, each with the same 2,000 posts in a different order and batching.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var posts = Enumerable.Range(0, 2000).Select(i => MakePost(i)).OrderBy(p => (p.ExternalId.GetHashCode(StringComparison.Ordinal) * (w + 1)) % 997).ToList();
            foreach (var chunk in posts.Chunk(150 + w * 70))
                await writer.WriteAsync(new PostBatch(incidentId, sourceId, chunk, [], null, null));
        })));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2000, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts"));
        Assert.Equal(2000, await connection.ExecuteScalarAsync<long>("SELECT posts_stored FROM sources WHERE id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task Malformed_items_are_quarantined_with_reason_and_payload_and_the_stream_goes_on()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var bad = Encoding.Latin1.GetBytes("{\"text\":\"café\"}");
        var items = new List<RawItem>
        {
            Line(MakePost(1), 1),
            new(PostJsonLinesFormat.Name, bad, "2"),
            new(PostJsonLinesFormat.Name, "{not json"u8.ToArray(), "3"),
            Line(MakePost(2), 4),
        };

        var (pipeline, monitor, _) = NewPipeline(database, sourceId, incidentId);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts"));
        var quarantined = (await connection.QueryAsync<(string Reason, byte[] Payload)>("SELECT reason, payload FROM quarantine ORDER BY id")).ToList();
        Assert.Equal(2, quarantined.Count);
        Assert.Contains("not valid UTF-8", quarantined[0].Reason, StringComparison.Ordinal);
        Assert.Equal(bad, quarantined[0].Payload);
        Assert.Contains("malformed JSON", quarantined[1].Reason, StringComparison.Ordinal);
        var source = await connection.QuerySingleAsync<(long Stored, long Quarantined, string Cursor)>("SELECT posts_stored, quarantined, cursor FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((2L, 2L, "4"), source);
        var status = monitor.Get(sourceId)!;
        Assert.Equal(SourceState.Completed, status.State);
        Assert.Equal(2, status.PostsStored);
        Assert.Equal(2, status.Quarantined);
    }

    [Fact]
    public async Task A_crash_between_COPY_and_commit_loses_nothing_and_duplicates_nothing_after_resume()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var items = Enumerable.Range(1, 5000).Select(i => Line(MakePost(i), i)).ToList();

        // First run: the third batch is written (COPY and INSERT done) and then the process "dies" before commit.
        // Batches form from whatever is waiting, so where the third one ends depends on timing.
        var (pipeline, monitor, writer) = NewPipeline(database, sourceId, incidentId, batchSize: 700);
        var batches = 0;
        writer.BeforeCommit = _ => ++batches == 3 ? throw new IOException("simulated crash between COPY and commit") : Task.CompletedTask;
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        Assert.Equal(SourceState.Failed, monitor.Get(sourceId)!.State);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var (storedAfterCrash, cursorAfterCrash) = await connection.QuerySingleAsync<(long, string)>("SELECT count(*), (SELECT cursor FROM sources WHERE id = @sourceId) FROM posts", new { sourceId });
        // Whatever batches formed, the saved cursor says exactly how far the committed posts go.
        Assert.InRange(storedAfterCrash, 1, 4999);
        Assert.Equal(storedAfterCrash.ToString(System.Globalization.CultureInfo.InvariantCulture), cursorAfterCrash);

        // Second run: a new process resumes from the saved cursor. Replaying a little before it (at-least-once
        // sources do) must not double anything.
        var (resumed, _, _) = NewPipeline(database, sourceId, incidentId, batchSize: 700);
        await resumed.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items, rewind: 250), cursorAfterCrash), CancellationToken.None);

        var final = await connection.QuerySingleAsync<(long Posts, long Distinct, long Counted, string Cursor)>("""
            SELECT count(*), count(DISTINCT external_id), (SELECT posts_stored FROM sources WHERE id = @sourceId), (SELECT cursor FROM sources WHERE id = @sourceId) FROM posts
            """, new { sourceId });
        Assert.Equal((5000L, 5000L, 5000L, "5000"), final);
    }

    [Fact]
    public async Task Only_committed_posts_reach_the_live_feed_each_once()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId) = await CreateSourceAsync(database);
        var (pipeline, _, _) = NewPipeline(database, sourceId, incidentId, out var feed);
        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        var all = new TaskCompletionSource();
        using var subscription = feed.Subscribe(incidentId, update =>
        {
            foreach (var post in update.Posts)
                seen.Add(post.Id);
            if (seen.Count >= 300)
                all.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(10));
        var items = Enumerable.Range(1, 300).Concat(Enumerable.Range(1, 100)).Select((n, i) => Line(MakePost(n), i + 1)).ToList();

        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<long>("SELECT id FROM posts ORDER BY id")).ToList();
        Assert.Equal(stored, seen.Order());
    }

    private static Post MakePost(int n) => new()
    {
        Platform = "x",
        ExternalId = $"post-{n}",
        CreatedAt = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero).AddSeconds(n),
        AuthorHandle = $"user{n % 37}",
        Text = $"Flood update {n}: the river is rising near bridge {n % 11}",
    };

    private static RawItem Line(Post post, int position) =>
        new(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(post)), position.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static (IngestPipeline, SourceMonitor, PostWriter) NewPipeline(TestDatabase database, int sourceId, int incidentId, int batchSize = 8192) =>
        NewPipeline(database, sourceId, incidentId, out _, batchSize);

    private static (IngestPipeline, SourceMonitor, PostWriter) NewPipeline(TestDatabase database, int sourceId, int incidentId, out LiveFeed feed, int batchSize = 8192)
    {
        var monitor = new SourceMonitor();
        monitor.Register(new SourceStatus(sourceId, incidentId, "test", "test", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        var writer = new PostWriter(database.DataSource);
        feed = new LiveFeed();
        var pipeline = new IngestPipeline(writer, feed, monitor, new IngestPipelineOptions { MaxBatchSize = batchSize, ChannelCapacity = 1024 },
            PostFormats.Default, NullLogger<IngestPipeline>.Instance);
        return (pipeline, monitor, writer);
    }

    private static async Task<(int IncidentId, int SourceId)> CreateSourceAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Pipeline test') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'test') RETURNING id", new { incidentId });
        return (incidentId, sourceId);
    }
}
