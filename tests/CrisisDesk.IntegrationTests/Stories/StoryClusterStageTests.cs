using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Stories;

/// <summary>The cluster stage and the post writer together, on a real PostgreSQL: stories are written with their posts.</summary>
public sealed class StoryClusterStageTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2015, 3, 24, 10, 0, 0, TimeSpan.Zero);

    private static Post PostOf(string id, string text, int seconds) => new()
    {
        Platform = "x",
        ExternalId = id,
        CreatedAt = T0.AddSeconds(seconds),
        Text = text,
        AuthorHandle = "user" + id,
    };

    private async Task<IReadOnlyList<StoredPost>> WriteAsync(StoryClusterStage stage, PostWriter writer, int incidentId, int sourceId, string cursor, params Post[] posts)
    {
        var stories = await stage.AssignAsync(incidentId, posts, CancellationToken.None);
        return await writer.WriteAsync(new PostBatch(incidentId, sourceId, posts, [], cursor, posts.Max(p => p.CreatedAt))
        {
            StoryIds = stories.StoryIds,
            Stories = stories.Growth,
        });
    }

    [Fact]
    public async Task Copies_share_a_story_row_written_with_them()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("stories", sourceKind: "replay");
        var stage = new StoryClusterStage(database.DataSource);
        var writer = new PostWriter(database.DataSource);

        var stored = await WriteAsync(stage, writer, incidentId, sourceId, "3",
            PostOf("1", "Plane crashed in the French Alps near Digne, 150 people on board", 0),
            PostOf("2", "RT @bbc: Plane crashed in the French Alps near Digne, 150 people on board http://t.co/x", 30),
            PostOf("3", "Lufthansa shares fall in Frankfurt trading", 40));

        Assert.Equal(stored[0].StoryId, stored[1].StoryId);
        Assert.NotEqual(stored[0].StoryId, stored[2].StoryId);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var story = await connection.QuerySingleAsync<(int Size, long FirstPostId, DateTime FirstAt, DateTime LatestAt, string Sample)>(
            "SELECT size, first_post_id, first_post_at, latest_post_at, sample_text FROM stories WHERE id = @id", new { id = stored[0].StoryId });
        Assert.Equal(2, story.Size);
        Assert.Equal(stored[0].Id, story.FirstPostId);
        Assert.Equal(T0.UtcDateTime, story.FirstAt);
        Assert.Equal(T0.AddSeconds(30).UtcDateTime, story.LatestAt);
        Assert.StartsWith("Plane crashed", story.Sample, StringComparison.Ordinal);
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM posts WHERE incident_id = @incidentId AND story_id IS NOT NULL", new { incidentId }));
    }

    [Fact]
    public async Task A_redelivered_post_does_not_grow_its_story()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("stories", sourceKind: "replay");
        var stage = new StoryClusterStage(database.DataSource);
        var writer = new PostWriter(database.DataSource);
        var first = PostOf("10", "Black box recorder found at the crash site says French minister", 0);
        var stored = await WriteAsync(stage, writer, incidentId, sourceId, "1", first, PostOf("11", "RT @x: Black box recorder found at the crash site says French minister", 5));

        var again = await WriteAsync(stage, writer, incidentId, sourceId, "2", first, PostOf("12", "Black box recorder found at the crash site, says French minister!!", 9));

        var added = Assert.Single(again);
        Assert.Equal(stored[0].StoryId, added.StoryId);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("SELECT size FROM stories WHERE id = @id", new { id = stored[0].StoryId }));
    }

    [Fact]
    public async Task After_a_restart_copies_still_join_their_stored_story()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("stories", sourceKind: "replay");
        var writer = new PostWriter(database.DataSource);
        var before = await WriteAsync(new StoryClusterStage(database.DataSource), writer, incidentId, sourceId, "1",
            PostOf("20", "Co-pilot locked the captain out of the cockpit, prosecutor says", 0),
            PostOf("21", "Germanwings flight 4U9525 black box analysis continues", 10));

        // A new stage has an empty memory, as after a process restart: it re-seeds from the stored posts.
        var after = await WriteAsync(new StoryClusterStage(database.DataSource), writer, incidentId, sourceId, "2",
            PostOf("22", "RT @afp: Co-pilot locked the captain out of the cockpit, prosecutor says", 60),
            PostOf("23", "Something new entirely: memorial service planned in Haltern", 70));

        Assert.Equal(before[0].StoryId, after[0].StoryId);
        Assert.NotEqual(before[1].StoryId, after[1].StoryId);
        Assert.NotEqual(before[0].StoryId, after[1].StoryId);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT size FROM stories WHERE id = @id", new { id = before[0].StoryId }));
    }

    [Fact]
    public async Task A_crash_before_commit_leaves_no_post_story_or_cursor_and_the_retry_writes_them_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("stories", sourceKind: "replay");
        var stage = new StoryClusterStage(database.DataSource);
        var posts = new[]
        {
            PostOf("30", "Families of the victims arrive in Seyne-les-Alpes", 0),
            PostOf("31", "RT @x: Families of the victims arrive in Seyne-les-Alpes", 3),
        };
        var stories = await stage.AssignAsync(incidentId, posts, CancellationToken.None);
        var batch = new PostBatch(incidentId, sourceId, posts, [], "cursor-31", T0.AddSeconds(3)) { StoryIds = stories.StoryIds, Stories = stories.Growth };
        var crashing = new PostWriter(database.DataSource) { BeforeCommit = _ => throw new IOException("power cut") };

        await Assert.ThrowsAsync<IOException>(() => crashing.WriteAsync(batch));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM posts WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM stories WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Null(await connection.ExecuteScalarAsync<string?>("SELECT cursor FROM sources WHERE id = @sourceId", new { sourceId }));

        var stored = await new PostWriter(database.DataSource).WriteAsync(batch);

        Assert.Equal(2, stored.Count);
        Assert.Equal("cursor-31", await connection.ExecuteScalarAsync<string?>("SELECT cursor FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT size FROM stories WHERE id = @id", new { id = stored[0].StoryId }));
    }

    [Fact]
    public async Task Posts_without_a_cluster_stage_are_stored_without_a_story()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("stories", sourceKind: "replay");

        var stored = await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, [PostOf("40", "no stage", 0)], [], "1", T0));

        Assert.Null(Assert.Single(stored).StoryId);
    }
}
