using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.IntegrationTests.Pipeline;

/// <summary>
/// PostWriter's dedupe: it looks up which of a batch's keys the incident holds (<c>posts_held_keys</c>, migration 0900)
/// and COPYs the rest straight into <c>posts</c>.
/// </summary>
public sealed class PostDedupeTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_batch_stores_the_first_of_each_new_key_in_arrival_order_and_only_those_grow_their_stories()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Dedupe in a batch");
        var writer = new PostWriter(database.DataSource);
        var first = await writer.WriteAsync(new PostBatch(incidentId, sourceId, [Post("k2", "held already", 0)], [], null, null) { StoryIds = [70_001] });

        // k2 is stored already; k9 comes twice in the batch (the first copy is the one kept); k1 and k5 are new.
        var batch = new PostBatch(incidentId, sourceId, [Post("k9", "first copy", 9), Post("k2", "again", 2), Post("k1", "one", 1), Post("k9", "second copy", 19), Post("k5", "five", 5)], [], "cursor-2", T0)
        {
            StoryIds = [70_001, 70_001, 70_002, 70_001, 70_001],
        };
        var stored = await writer.WriteAsync(batch);

        Assert.Equal(["k9", "k1", "k5"], stored.Select(p => p.Post.ExternalId));
        Assert.Equal("first copy", stored[0].Post.Text);
        Assert.True(stored[0].Id > first[0].Id && stored[0].Id < stored[1].Id && stored[1].Id < stored[2].Id, "ids follow arrival order, after the earlier batch's");
        Assert.Equal([70_001L, 70_002L, 70_001L], stored.Select(p => p.StoryId ?? 0));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(long Id, string ExternalId, string Text)>(
            "SELECT id, external_id, text FROM posts WHERE incident_id = @incidentId ORDER BY id", new { incidentId })).ToList();
        List<(long, string, string)> expected = [(first[0].Id, "k2", "held already"), .. stored.Select(p => (p.Id, p.Post.ExternalId, p.Post.Text))];
        Assert.Equal(expected, rows);
        // Story 70001: k2 before, then k9 and k5 (not the re-delivered k2 nor the second k9); its first post is still k2.
        var story = await connection.QuerySingleAsync<(int Size, long FirstPostId)>("SELECT size, first_post_id FROM stories WHERE id = 70001");
        Assert.Equal((3, first[0].Id), story);
        Assert.Equal(4L, await connection.ExecuteScalarAsync<long>("SELECT posts_stored FROM sources WHERE id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task The_look_up_probes_the_unique_key_even_when_the_statistics_were_taken_before_the_incident_grew()
    {
        var (growing, _) = await IncidentGrownPastItsStatisticsAsync("70000000000000");
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await connection.ExecuteAsync("""
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_nested_statements = on;
            SET auto_explain.log_level = notice;
            """);
        string[] platforms = ["mastodon", "mastodon", "mastodon"];
        string[] externalIds = ["70000000000000317", "70000000000000999999", "7000000000000004999"];
        var held = (await connection.QueryAsync<int>("SELECT posts_held_keys(@growing, @platforms, @externalIds)", new { growing, platforms, externalIds })).Order().ToList();

        Assert.Equal([0, 2], held);
        var plan = Assert.Single(notices, n => n.Contains("FROM posts p", StringComparison.Ordinal));
        Assert.Contains("posts_dedupe_key", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Hash", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("posts_incident_platform_idx", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edits_and_deletions_in_an_incident_grown_past_its_statistics_find_their_posts_by_key_not_by_scanning_it()
    {
        var (growing, growingSource) = await IncidentGrownPastItsStatisticsAsync("71000000000000");
        await using var connection = await database.DataSource.OpenConnectionAsync();

        // A writer whose connections send every statement's plan, nested ones too, back as a notice, which Npgsql logs.
        var plans = new List<string>();
        var builder = new NpgsqlDataSourceBuilder(database.ConnectionString);
        builder.UseLoggerFactory(LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new NoticeCollector(plans))));
        builder.UsePhysicalConnectionInitializer(_ => throw new NotSupportedException("asynchronous only"), opened => opened.ExecuteAsync("""
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_nested_statements = on;
            SET auto_explain.log_level = notice;
            """));
        await using var explained = builder.Build();
        var edits = Enumerable.Range(1, 50).Select(n => MastodonPosts.Edit($"710000000000001{n}", $"corrected {n}", T0, T0.AddMinutes(5))).ToList();
        var deletions = Enumerable.Range(1, 50).Select(n => StreamPostMarkers.Deletion("mastodon", $"710000000000002{n}", T0.AddMinutes(6))).ToList();
        var written = await new PostWriter(explained).WriteBatchAsync(new PostBatch(growing, growingSource, [.. edits, .. deletions], [], null, null));

        Assert.Equal((50, 50, 0), (written.VersionsStored, written.DeletionsApplied, written.DeletionsUnmatched));
        Assert.Equal("corrected 7", await connection.ExecuteScalarAsync<string>(
            "SELECT text FROM posts WHERE incident_id = @growing AND external_id = '7100000000000017'", new { growing }));
        Assert.Equal(100, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @growing", new { growing }));
        // What this test is about: no statement walked the incident's posts to find the 100 it names.
        Assert.Contains(plans, plan => plan.Contains("INSERT INTO post_versions", StringComparison.Ordinal));
        Assert.All(plans, plan =>
        {
            Assert.DoesNotContain("posts_incident_id_idx", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("posts_incident_platform_idx", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("Seq Scan on posts ", plan, StringComparison.Ordinal);
        });
    }

    /// <summary>
    /// An incident whose 20,000 posts (ids <paramref name="idPrefix"/>, then 0–3, then 1–5000) were written after the
    /// last ANALYZE of <c>posts</c>, with autovacuum off for this database's posts: the statistics know nothing of it,
    /// as they know nothing of any incident younger than the table's last ANALYZE. Long numeric ids, as X's and the
    /// drill's are: with short ones the planner happened to choose the unique key even from such statistics.
    /// </summary>
    private async Task<(int IncidentId, int SourceId)> IncidentGrownPastItsStatisticsAsync(string idPrefix)
    {
        var (analysed, analysedSource) = await database.NewIncidentAsync($"Analysed ({idPrefix})");
        var (growing, growingSource) = await database.NewIncidentAsync($"Grew after the last ANALYZE ({idPrefix})");
        var writer = new PostWriter(database.DataSource);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("ALTER TABLE posts SET (autovacuum_enabled = false)");
        await writer.WriteAsync(TestIncidents.Batch(analysed, analysedSource, $"a{idPrefix}", 2_000, T0));
        await connection.ExecuteAsync("ANALYZE posts");
        for (var part = 0; part < 4; part++)
            await writer.WriteAsync(TestIncidents.Batch(growing, growingSource, $"{idPrefix}{part}", 5_000, T0));
        var estimate = await connection.ExecuteScalarAsync<string>($"EXPLAIN SELECT 1 FROM posts WHERE incident_id = {growing}");
        Assert.Matches(@"rows=\d{1,3} ", estimate);
        return (growing, growingSource);
    }

    /// <summary>Keeps the text of each notice Npgsql logs ("Received notice: …").</summary>
    private sealed class NoticeCollector(List<string> notices) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (message.StartsWith("Received notice: ", StringComparison.Ordinal))
                lock (notices)
                    notices.Add(message);
        }

        public void Dispose()
        {
        }
    }

    private static Post Post(string externalId, string text, int second) => new()
    {
        Platform = "mastodon",
        ExternalId = externalId,
        CreatedAt = T0.AddSeconds(second),
        Text = text,
    };
}
