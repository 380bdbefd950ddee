using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>
/// Data PostgreSQL refuses, through the real pipeline into the real database: a NUL in any platform's post is
/// stored replaced, and an item the database still refuses is quarantined alone; the source never stops and its
/// state never claims the database is down.
/// </summary>
public sealed class HostileDataTests
{
    /// <summary>Long enough for any honest run here; on the old code these runs retried forever.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(90);

    private static async Task<(int IncidentId, int SourceId, IngestPipeline Pipeline, SourceMonitor Monitor, PostWriter Writer, ConcurrentQueue<string> Details)> SetUpAsync(TestDatabase database)
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Hostile data");
        var monitor = new SourceMonitor();
        var details = new ConcurrentQueue<string>();
        monitor.Changed += status => details.Enqueue($"{status.State}: {status.Detail}");
        monitor.Register(new SourceStatus(sourceId, incidentId, "test", "test", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        var writer = new PostWriter(database.DataSource);
        var pipeline = new IngestPipeline(writer, new LiveFeed(), monitor,
            new IngestPipelineOptions { ChannelCapacity = 1024, WriteRetryDelay = TimeSpan.FromMilliseconds(50) }, PostFormats.Default, NullLogger<IngestPipeline>.Instance);
        return (incidentId, sourceId, pipeline, monitor, writer, details);
    }

    [Fact]
    public async Task A_nul_in_each_platforms_post_is_stored_replaced_and_every_later_post_of_the_source_too()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId, pipeline, monitor, _, details) = await SetUpAsync(database);
        var items = new List<RawItem>();
        foreach (var (format, _) in HostilePosts.Formats)
        {
            items.Add(HostilePosts.Item(format, items.Count + 1, "Flood\\u0000ing on the A38", (items.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            items.Add(HostilePosts.Item(format, items.Count + 1, "Later: the water is going down", (items.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None).WaitAsync(Guard);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<(string Platform, string Text, string? Extra)>(
            "SELECT platform, text, extra::text FROM posts WHERE source_id = @sourceId ORDER BY id", new { sourceId })).ToList();
        Assert.Equal(items.Count, stored.Count);
        Assert.Equal(HostilePosts.Formats.Count, stored.Count(p => p.Text.Contains("Flood\uFFFDing on the A38", StringComparison.Ordinal)));
        Assert.Equal(HostilePosts.Formats.Count, stored.Count(p => p.Text.Contains("Later: the water is going down", StringComparison.Ordinal)));
        Assert.Equal(["bluesky", "mastodon", "x"], stored.Select(p => p.Platform).Distinct().Order());
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM quarantine"));
        Assert.Equal(items[^1].Cursor, await connection.ExecuteScalarAsync<string>("SELECT cursor FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(SourceState.Completed, monitor.Get(sourceId)!.State);
        Assert.DoesNotContain(details, d => d.Contains("database", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_item_the_database_refuses_is_quarantined_alone_and_the_rest_of_its_batch_is_stored()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        var (incidentId, sourceId, pipeline, monitor, writer, details) = await SetUpAsync(database);
        // Passes normalisation, but an id of 32,000 random characters cannot go into the posts' unique btree index
        // (at most 2,704 bytes a row, and random text does not compress): SQLSTATE 54000, program limit exceeded.
        var hugeId = string.Concat(Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid().ToString("N")));
        var refused = Encoding.UTF8.GetBytes($$"""{"platform":"x","externalId":"{{hugeId}}","createdAt":"2026-11-21T10:00:00Z","text":"Flood"}""");
        var items = Enumerable.Range(1, 40).Select(n => HostilePosts.Item(PostJsonLinesFormat.Name, n, $"Flood update {n}", n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        items.Insert(25, new RawItem(PostJsonLinesFormat.Name, refused, "25.5"));
        var source = new GatedSource(items);
        // The first batch waits until the source has handed over everything, so the refused item arrives among others.
        var first = true;
        writer.BeforeCommit = async ct =>
        {
            if (!first)
                return;
            first = false;
            await source.AllRead.WaitAsync(ct);
            await Task.Delay(200, ct);
        };

        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, source, null), CancellationToken.None).WaitAsync(Guard);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(40, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE source_id = @sourceId", new { sourceId }));
        var quarantined = Assert.Single(await connection.QueryAsync<(string Format, string Reason, byte[] Payload)>("SELECT format, reason, payload FROM quarantine"));
        Assert.Equal(PostJsonLinesFormat.Name, quarantined.Format);
        Assert.StartsWith("the database refused this item (", quarantined.Reason, StringComparison.Ordinal);
        Assert.EndsWith("); the rest of its batch was stored", quarantined.Reason, StringComparison.Ordinal);
        Assert.Equal(refused, quarantined.Payload);
        var counters = await connection.QuerySingleAsync<(long Stored, long Quarantined, string Cursor)>(
            "SELECT posts_stored, quarantined, cursor FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((40L, 1L, "40"), counters);
        var status = monitor.Get(sourceId)!;
        Assert.Equal((SourceState.Completed, 40L, 1L), (status.State, status.PostsStored, status.Quarantined));
        Assert.DoesNotContain(details, d => d.Contains("database unavailable", StringComparison.Ordinal) || d.StartsWith("Reconnecting", StringComparison.Ordinal));
    }

    /// <summary>Yields its items as fast as it is asked, then says so.</summary>
    private sealed class GatedSource(IReadOnlyList<RawItem> items) : IIngestSource
    {
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task AllRead => _allRead.Task;

        public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var item in items)
                yield return item;
            _allRead.TrySetResult();
            await Task.CompletedTask;
        }
    }
}
