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

/// <summary>
/// Edits and deletions from the streaming sources, through the real pipeline and writer into a real PostgreSQL:
/// every version kept, the latest shown, deletions marked with the text kept, each applied once however often delivered.
/// </summary>
public sealed class EditsAndDeletionsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_edit_is_stored_as_a_version_and_the_post_shows_the_latest_text()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var items = Lines(
            Original("m1", "Bridge on the A38 closed"),
            Edit("m1", "Bridge on the A38 closed both ways", minutes: 2),
            Original("m2", "Rest centre open at the school"),
            Edit("m1", "Bridge on the A38 reopened", minutes: 5));

        var (pipeline, monitor, _, _) = NewPipeline(sourceId, incidentId);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var post = await connection.QuerySingleAsync<(long Id, string Text, DateTime? EditedAt, DateTime? DeletedAt)>(
            "SELECT id, text, edited_at, deleted_at FROM posts WHERE incident_id = @incidentId AND external_id = 'm1'", new { incidentId });
        Assert.Equal("Bridge on the A38 reopened", post.Text);
        Assert.Equal(T0.AddMinutes(5).UtcDateTime, post.EditedAt);
        Assert.Null(post.DeletedAt);
        var versions = (await connection.QueryAsync<(string Version, bool Original, string Text)>(
            "SELECT version, original, text FROM post_versions WHERE post_id = @Id ORDER BY version_at", new { post.Id })).ToList();
        Assert.Equal([("original", true, "Bridge on the A38 closed"), (VersionOf(2), false, "Bridge on the A38 closed both ways"), (VersionOf(5), false, "Bridge on the A38 reopened")], versions);
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE incident_id = @incidentId", new { incidentId }));
        // Search finds what is shown: the latest text, not the replaced one.
        Assert.Equal(["m1"], await connection.QueryAsync<string>(
            "SELECT external_id FROM posts WHERE incident_id = @incidentId AND to_tsvector('simple'::regconfig, text) @@ websearch_to_tsquery('simple'::regconfig, 'reopened')", new { incidentId }));
        Assert.Empty(await connection.QueryAsync<string>(
            "SELECT external_id FROM posts WHERE incident_id = @incidentId AND to_tsvector('simple'::regconfig, text) @@ websearch_to_tsquery('simple'::regconfig, 'ways')", new { incidentId }));
        var counters = await connection.QuerySingleAsync<(long Stored, long Edits)>("SELECT posts_stored, edits_stored FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((2L, 2L), counters);
        Assert.Equal(2, monitor.Get(sourceId)!.EditsStored);
    }

    [Fact]
    public async Task The_same_edit_delivered_again_after_a_restart_is_stored_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var items = Lines(Original("m1", "Water level 2.1 m"), Edit("m1", "Water level 2.4 m", minutes: 3), Original("m2", "Sandbags at the depot"));

        var (first, _, _, _) = NewPipeline(sourceId, incidentId);
        await first.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        // A new process resumes from the end and the source re-delivers everything (a reconnect with a long rewind):
        // the in-memory dedupe is empty, so only the database's keys stand between the edit and a second copy.
        var (second, monitor, _, _) = NewPipeline(sourceId, incidentId);
        await second.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items, rewind: 3), "3"), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @incidentId", new { incidentId }));
        Assert.Equal("Water level 2.4 m", await connection.ExecuteScalarAsync<string>(
            "SELECT text FROM posts WHERE incident_id = @incidentId AND external_id = 'm1'", new { incidentId }));
        Assert.Equal((2L, 1L), await connection.QuerySingleAsync<(long, long)>("SELECT posts_stored, edits_stored FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(0, monitor.Get(sourceId)!.EditsStored);
    }

    [Fact]
    public async Task A_deletion_marks_the_post_and_keeps_its_text_and_is_applied_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var items = Lines(Original("m1", "Evacuate Riverside Road now"), Original("m2", "Shelter at the town hall"), Deletion("m1"));

        var (pipeline, _, _, _) = NewPipeline(sourceId, incidentId);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var deletedAt = await connection.ExecuteScalarAsync<DateTime>(
            "SELECT deleted_at FROM posts WHERE incident_id = @incidentId AND external_id = 'm1'", new { incidentId });
        var (again, monitor, _, _) = NewPipeline(sourceId, incidentId);
        await again.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items, rewind: 1), "3"), CancellationToken.None);

        var rows = (await connection.QueryAsync<(string Id, string Text, DateTime? DeletedAt)>(
            "SELECT external_id, text, deleted_at FROM posts WHERE incident_id = @incidentId ORDER BY external_id", new { incidentId })).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(("m1", "Evacuate Riverside Road now", deletedAt), (rows[0].Id, rows[0].Text, rows[0].DeletedAt));
        Assert.Null(rows[1].DeletedAt);
        Assert.Equal((1L, 0L), await connection.QuerySingleAsync<(long, long)>(
            "SELECT deletions_applied, deletions_unmatched FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(0, monitor.Get(sourceId)!.DeletionsApplied);
    }

    [Fact]
    public async Task A_deletion_of_a_post_never_stored_stores_no_post_and_is_counted_once_however_often_delivered()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var items = Lines(Original("m1", "Road closed at the bridge"), Deletion("m404"));

        var (pipeline, monitor, _, _) = NewPipeline(sourceId, incidentId);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(["m1"], await connection.QueryAsync<string>("SELECT external_id FROM posts WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM posts WHERE incident_id = @incidentId AND deleted_at IS NOT NULL", new { incidentId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM quarantine WHERE source_id = @sourceId", new { sourceId }));
        Assert.Equal((1L, 0L, 1L, "2"), await connection.QuerySingleAsync<(long, long, long, string)>(
            "SELECT posts_stored, deletions_applied, deletions_unmatched, cursor FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(1, monitor.Get(sourceId)!.DeletionsUnmatched);

        // Delivered again after a restart (the in-memory dedupe is empty): still one, counted once.
        var (again, _, _, _) = NewPipeline(sourceId, incidentId);
        await again.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items, rewind: 2), "2"), CancellationToken.None);
        Assert.Equal((1L, 0L, 1L), await connection.QuerySingleAsync<(long, long, long)>(
            "SELECT posts_stored, deletions_applied, deletions_unmatched FROM sources WHERE id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task An_edit_of_a_post_never_stored_is_stored_as_the_post_with_its_version()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var items = Lines(Edit("m7", "Flood defences holding (corrected)", minutes: 4));

        var (pipeline, _, _, feed) = NewPipeline(sourceId, incidentId);
        var announced = new System.Collections.Concurrent.ConcurrentQueue<LiveUpdate>();
        using var subscription = feed.Subscribe(incidentId, u => { announced.Enqueue(u); return Task.CompletedTask; }, TimeSpan.Zero);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        // A later edit then keeps both versions.
        var (later, _, _, _) = NewPipeline(sourceId, incidentId);
        await later.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(Edit("m7", "Flood defences holding", minutes: 6))), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var post = await connection.QuerySingleAsync<(long Id, string Text, DateTime? EditedAt, string Version)>(
            "SELECT id, text, edited_at, extra->>'version' FROM posts WHERE incident_id = @incidentId", new { incidentId });
        Assert.Equal(("Flood defences holding", T0.AddMinutes(6).UtcDateTime, VersionOf(6)), (post.Text, post.EditedAt, post.Version));
        var versions = (await connection.QueryAsync<(string Version, bool Original)>(
            "SELECT version, original FROM post_versions WHERE post_id = @Id ORDER BY version_at", new { post.Id })).ToList();
        Assert.Equal([(VersionOf(4), false), (VersionOf(6), false)], versions);
        await Eventually.WaitUntilAsync(() => announced.Any(u => u.Posts.Any(p => p.Id == post.Id)), "the edited post was announced");
        Assert.DoesNotContain(announced, u => u.Changes.Count > 0);
    }

    [Fact]
    public async Task Open_war_rooms_learn_of_edits_and_deletions_after_commit()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var (first, _, _, _) = NewPipeline(sourceId, incidentId);
        await first.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(Original("m1", "Power cut in the north"), Original("m2", "Trains cancelled"))), null), CancellationToken.None);

        var (pipeline, _, _, feed) = NewPipeline(sourceId, incidentId);
        var changes = new System.Collections.Concurrent.ConcurrentQueue<PostChange>();
        using var subscription = feed.Subscribe(incidentId, u =>
        {
            foreach (var change in u.Changes)
                changes.Enqueue(change);
            return Task.CompletedTask;
        }, TimeSpan.Zero);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(Edit("m1", "Power cut in the north and east", 1), Deletion("m2"))), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var ids = (await connection.QueryAsync<long>("SELECT id FROM posts WHERE incident_id = @incidentId ORDER BY external_id", new { incidentId })).ToList();
        await Eventually.WaitUntilAsync(() => changes.Count >= 2, "both changes were announced");
        Assert.Equal([(ids[0], PostChangeKind.Edited, (string?)VersionOf(1)), (ids[1], PostChangeKind.Deleted, null)],
            changes.Select(c => (c.PostId, c.Kind, c.Version)).OrderBy(c => c.PostId));
    }

    [Fact]
    public async Task A_crash_between_COPY_and_commit_with_edits_and_deletions_loses_nothing_and_doubles_nothing_after_resume()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        // 600 posts; every third is edited twice further on, every fifth deleted, and some deletions are of posts never seen.
        var posts = new List<Post>();
        for (var n = 1; n <= 600; n++)
        {
            posts.Add(Original($"p{n}", $"Update {n}: roads flooded near junction {n % 13}"));
            if (n > 20 && (n - 20) % 3 == 0)
                posts.Add(Edit($"p{n - 20}", $"Update {n - 20}: corrected", minutes: 1));
            if (n > 40 && (n - 40) % 3 == 0)
                posts.Add(Edit($"p{n - 40}", $"Update {n - 40}: corrected again", minutes: 2));
            if (n % 5 == 0 && n > 10)
                posts.Add(Deletion($"p{n - 10}"));
            if (n % 50 == 0)
                posts.Add(Deletion($"gone{n}"));
        }
        var items = Lines([.. posts]);

        var (pipeline, monitor, writer, _) = NewPipeline(sourceId, incidentId, batchSize: 150);
        var batches = 0;
        writer.BeforeCommit = _ => ++batches == 4 ? throw new IOException("simulated crash between COPY and commit") : Task.CompletedTask;
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);
        Assert.Equal(SourceState.Failed, monitor.Get(sourceId)!.State);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var cursor = await connection.ExecuteScalarAsync<string>("SELECT cursor FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.InRange(int.Parse(cursor!, System.Globalization.CultureInfo.InvariantCulture), 1, items.Count - 1);

        var (resumed, _, _, _) = NewPipeline(sourceId, incidentId, batchSize: 150);
        await resumed.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items, rewind: 200), cursor), CancellationToken.None);

        // The same items in one clean run into another incident: the state both must end in.
        var (cleanIncident, cleanSource) = await database.NewIncidentAsync("Edits test");
        var (clean, _, _, _) = NewPipeline(cleanSource, cleanIncident, batchSize: 150);
        await clean.RunAsync(new SourceRun(cleanSource, cleanIncident, new ListSource(items), null), CancellationToken.None);

        var expectedDeleted = posts.Where(p => StreamPostMarkers.IsDeletion(p) && p.ExternalId.StartsWith('p')).Select(p => p.ExternalId).Distinct().Count();
        var expectedVersions = posts.Count(StreamPostMarkers.IsEdit) + posts.Where(StreamPostMarkers.IsEdit).Select(p => p.ExternalId).Distinct().Count();
        foreach (var (incident, source) in new[] { (incidentId, sourceId), (cleanIncident, cleanSource) })
        {
            var state = await connection.QuerySingleAsync<(long Posts, long Distinct, long Deleted, long Versions, long DistinctVersions)>("""
                SELECT count(*), count(DISTINCT external_id), count(deleted_at),
                       (SELECT count(*) FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @incident),
                       (SELECT count(DISTINCT (v.post_id, v.text)) FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @incident)
                  FROM posts WHERE incident_id = @incident
                """, new { incident });
            Assert.Equal((600L, 600L, (long)expectedDeleted, (long)expectedVersions, (long)expectedVersions), state);
            var counters = await connection.QuerySingleAsync<(long Stored, long Edits, long Deleted, long Unmatched, string Cursor)>(
                "SELECT posts_stored, edits_stored, deletions_applied, deletions_unmatched, cursor FROM sources WHERE id = @source", new { source });
            Assert.Equal((600L, (long)posts.Count(StreamPostMarkers.IsEdit), (long)expectedDeleted, items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                (counters.Stored, counters.Edits, counters.Deleted, counters.Cursor));
            // A deletion of a post never stored leaves nothing behind, so one redelivered after the resume counts again.
            if (source == cleanSource)
                Assert.Equal(12, counters.Unmatched);
            else
                Assert.InRange(counters.Unmatched, 12, 12 + 200 / 50);
            // Every edited post shows its latest version.
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM posts p WHERE p.incident_id = @incident AND p.edited_at IS NOT NULL
                   AND p.text <> (SELECT v.text FROM post_versions v WHERE v.post_id = p.id ORDER BY v.original, v.version_at DESC LIMIT 1)
                """, new { incident }));
        }
        Assert.Equal(
            await connection.QueryAsync<string>("SELECT external_id || '|' || text || '|' || (deleted_at IS NOT NULL) FROM posts WHERE incident_id = @cleanIncident ORDER BY 1", new { cleanIncident }),
            await connection.QueryAsync<string>("SELECT external_id || '|' || text || '|' || (deleted_at IS NOT NULL) FROM posts WHERE incident_id = @incidentId ORDER BY 1", new { incidentId }));
    }

    [Fact]
    public async Task Concurrent_writers_with_overlapping_posts_edits_and_deletions_do_not_deadlock_and_store_each_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edits test");
        var writer = new PostWriter(database.DataSource);
        var groups = new List<List<Post>>();
        for (var n = 0; n < 400; n++)
        {
            var group = new List<Post> { Original($"c{n}", $"Report {n} from the river") };
            if (n % 2 == 0)
                group.Add(Edit($"c{n}", $"Report {n} from the river (edited)", minutes: 1));
            if (n % 4 == 0)
                group.Add(Edit($"c{n}", $"Report {n} from the river (edited twice)", minutes: 2));
            if (n % 7 == 0)
                group.Add(Deletion($"c{n}"));
            groups.Add(group);
        }
        var all = groups.SelectMany(g => g).ToList();

        // Four writers (as four sources of one incident would), each with everything in its own order and batching:
        // a post's own items stay in order within a writer (as a platform sends them) but are spread over its batches,
        // so most batches mix new posts, edits of posts another writer is inserting at that moment, and deletions.
        // A deadlock would surface here as PostgreSQL aborting one of them (40P01).
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var rank = Enumerable.Range(0, groups.Count).OrderBy(n => (n * (w + 3)) % 101).ThenBy(n => n).ToList();
            var mine = rank.SelectMany((n, r) => groups[n].Select((post, j) => (post, at: r + j * (37 + w * 11)))).OrderBy(x => x.at).Select(x => x.post).ToList();
            foreach (var chunk in mine.Chunk(60 + w * 25))
                await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, chunk, [], null, null));
        })));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(400, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Equal(all.Count(StreamPostMarkers.IsDeletion), await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM posts WHERE incident_id = @incidentId AND deleted_at IS NOT NULL", new { incidentId }));
        // Whatever order they came in, each edit is one version and every edited post shows its latest.
        var versions = (await connection.QueryAsync<(string Id, string Text)>(
            "SELECT p.external_id, v.text FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @incidentId AND NOT v.original", new { incidentId })).ToList();
        Assert.Equal(all.Count(StreamPostMarkers.IsEdit), versions.Count);
        Assert.Equal(versions.Count, versions.Distinct().Count());
        var shown = (await connection.QueryAsync<(string Id, string Text)>(
            "SELECT external_id, text FROM posts WHERE incident_id = @incidentId AND edited_at IS NOT NULL", new { incidentId })).ToDictionary(r => r.Id, r => r.Text);
        Assert.Equal(200, shown.Count);
        Assert.All(shown, s => Assert.EndsWith(int.Parse(s.Key[1..], System.Globalization.CultureInfo.InvariantCulture) % 4 == 0 ? "(edited twice)" : "(edited)", s.Value, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_X_edit_which_X_sends_as_a_new_post_id_becomes_a_version_of_the_post_it_edits()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("X edits");
        static RawItem Frame(string id, string text, string at, string history, int cursor) => new(StreamFormats.XFilteredStream, Encoding.UTF8.GetBytes(
            $$$"""{"data":{"id":"{{{id}}}","text":"{{{text}}}","created_at":"{{{at}}}","edit_history_tweet_ids":[{{{history}}}]}}"""),
            cursor.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var items = new List<RawItem>
        {
            Frame("100", "Bridge closed", "2026-11-21T12:00:00.000Z", "\"100\"", 1),
            Frame("105", "Bridge closed both ways", "2026-11-21T12:04:00.000Z", "\"100\",\"105\"", 2),
            Frame("105", "Bridge closed both ways", "2026-11-21T12:04:00.000Z", "\"100\",\"105\"", 3), // re-delivered
        };

        var (pipeline, monitor, _, _) = NewPipeline(sourceId, incidentId);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var post = await connection.QuerySingleAsync<(long Id, string ExternalId, string Text)>(
            "SELECT id, external_id, text FROM posts WHERE incident_id = @incidentId", new { incidentId });
        Assert.Equal(("100", "Bridge closed both ways"), (post.ExternalId, post.Text));
        var versions = (await connection.QueryAsync<(string Version, bool Original, string Text)>(
            "SELECT version, original, text FROM post_versions WHERE post_id = @Id ORDER BY version_at", new { post.Id })).ToList();
        Assert.Equal([("original", true, "Bridge closed"), ("105", false, "Bridge closed both ways")], versions);
        Assert.Equal(1, monitor.Get(sourceId)!.EditsStored);
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static string VersionOf(int minutes) => T0.AddMinutes(minutes).ToString("O");

    private static Post Original(string id, string text) => MastodonPosts.Original(id, text, T0);

    private static Post Edit(string id, string text, int minutes) => MastodonPosts.Edit(id, text, T0, T0.AddMinutes(minutes));

    private static Post Deletion(string id) => StreamPostMarkers.Deletion("mastodon", id, T0);

    private static List<RawItem> Lines(params Post[] posts) => posts.Select((p, i) =>
        new RawItem(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(p)), (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

    private (IngestPipeline, SourceMonitor, PostWriter, LiveFeed) NewPipeline(int sourceId, int incidentId, int batchSize = 8192)
    {
        var monitor = new SourceMonitor();
        monitor.Register(new SourceStatus(sourceId, incidentId, "test", "test", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        var writer = new PostWriter(database.DataSource);
        var feed = new LiveFeed();
        var pipeline = new IngestPipeline(writer, feed, monitor, new IngestPipelineOptions { MaxBatchSize = batchSize, ChannelCapacity = 1024 },
            PostFormats.Default, NullLogger<IngestPipeline>.Instance, new StoryClusterStage(database.DataSource));
        return (pipeline, monitor, writer, feed);
    }

}
