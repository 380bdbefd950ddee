using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Review;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.IntegrationTests.Review;

/// <summary>Edited and deleted posts as the war room's queries, replay "as of T", the exports and retention see them.</summary>
public sealed class EditedPostsReviewTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private IDbContextFactory<CrisisDeskDbContext> Contexts() => CrisisDeskDbContext.FactoryOver(database.DataSource);

    private static Post Original(string id, string text) => MastodonPosts.Original(id, text, T0);

    private static Post Edit(string id, string text, int minutes) => MastodonPosts.Edit(id, text, T0, T0.AddMinutes(minutes));

    /// <summary>When each write landed, read back from the database (the writer stamps its own clock).</summary>
    private async Task<DateTimeOffset> ReceivedAsync(string sql, object parameters)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return new DateTimeOffset(DateTime.SpecifyKind(await connection.ExecuteScalarAsync<DateTime>(sql, parameters), DateTimeKind.Utc));
    }

    [Fact]
    public async Task Replay_shows_each_post_as_it_stood_at_the_time_and_the_triage_queries_show_the_latest_with_its_versions()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edited posts", "mastodon", "m");
        var writer = new PostWriter(database.DataSource);
        var first = await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Original("m1", "Ferry cancelled"), Original("m2", "Bridge shut")], [], "1", null));
        var m1 = first.Stored.Single(p => p.Post.ExternalId == "m1").Id;
        var m2 = first.Stored.Single(p => p.Post.ExternalId == "m2").Id;
        var asFirstStored = await ReceivedAsync("SELECT received_at FROM posts WHERE id = @m1", new { m1 });
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Edit("m1", "Ferry running again", 3)], [], "2", null));
        var asEdited = await ReceivedAsync("SELECT max(received_at) FROM post_versions WHERE post_id = @m1", new { m1 });
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [StreamPostMarkers.Deletion("mastodon", "m2", T0)], [], "3", null));
        var asDeleted = await ReceivedAsync("SELECT deleted_at FROM posts WHERE id = @m2", new { m2 });
        Assert.True(asFirstStored < asEdited && asEdited < asDeleted);

        var replay = new ReplayQueries(database.DataSource, Contexts());
        var atFirst = (await replay.PostsAsOfAsync(incidentId, asFirstStored, 0, 10)).ToDictionary(p => p.Id);
        var atEdit = (await replay.PostsAsOfAsync(incidentId, asEdited, 0, 10)).ToDictionary(p => p.Id);
        var atEnd = (await replay.PostsAsOfAsync(incidentId, asDeleted, 0, 10)).ToDictionary(p => p.Id);

        Assert.Equal(("Ferry cancelled", (DateTime?)null), (atFirst[m1].Text, atFirst[m1].EditedAt));
        Assert.Equal(("Ferry running again", (DateTime?)T0.AddMinutes(3).UtcDateTime), (atEdit[m1].Text, atEdit[m1].EditedAt));
        Assert.Null(atEdit[m2].DeletedAt);
        Assert.Equal(("Bridge shut", (DateTime?)asDeleted.UtcDateTime), (atEnd[m2].Text, atEnd[m2].DeletedAt));

        var triage = new TriageQueries(database.DataSource, Contexts());
        var page = (await triage.PageAsync(incidentId, TriageFilter.None, long.MaxValue, 0, 10)).ToDictionary(p => p.Id);
        Assert.Equal("Ferry running again", page[m1].Text);
        Assert.Equal(T0.AddMinutes(3).UtcDateTime, page[m1].EditedAt);
        Assert.NotNull(page[m2].DeletedAt);
        Assert.Equal("Bridge shut", page[m2].Text);
        var versions = await triage.VersionsAsync(m1);
        Assert.Equal([("Ferry running again", false), ("Ferry cancelled", true)], versions.Select(v => (v.Text, v.Original)));
        Assert.Empty(await triage.VersionsAsync(m2));
        // Search finds the post by what it says now.
        Assert.Equal([m1], (await triage.PageAsync(incidentId, new TriageFilter(Search: "running"), long.MaxValue, 0, 10)).Select(p => p.Id));
        Assert.Empty(await triage.PageAsync(incidentId, new TriageFilter(Search: "cancelled"), long.MaxValue, 0, 10));
    }

    [Fact]
    public async Task Exports_carry_edited_at_and_deleted_at()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edited posts", "mastodon", "m");
        var writer = new PostWriter(database.DataSource);
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Original("m1", "Ferry cancelled"), Original("m2", "Bridge shut")], [], "1", null));
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Edit("m1", "Ferry running again", 3), StreamPostMarkers.Deletion("mastodon", "m2", T0)], [], "2", null));
        var contexts = Contexts();
        var replay = new ReplayQueries(database.DataSource, contexts);
        var reports = new IncidentReports(database.DataSource, replay, new EnquiryQueries(contexts));
        var report = (await reports.LoadAsync(incidentId))!;

        var export = new IncidentDataExport(database.DataSource);
        var csv = new StringWriter();
        await export.WriteCsvAsync(report, "posts", csv);
        var json = new StringWriter();
        await export.WriteJsonAsync(report, json);

        var lines = csv.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",erased,edited_at,deleted_at", lines[0], StringComparison.Ordinal);
        var m1 = lines.Single(l => l.Contains(",m1,", StringComparison.Ordinal));
        var m2 = lines.Single(l => l.Contains(",m2,", StringComparison.Ordinal));
        Assert.Contains("Ferry running again", m1, StringComparison.Ordinal);
        Assert.EndsWith(",false,2026-11-21T12:03:00.000000Z,", m1, StringComparison.Ordinal);
        Assert.Matches(@",Bridge shut,.*,false,,\d{4}-\d\d-\d\dT[\d:.]+Z$", m2);
        using var doc = System.Text.Json.JsonDocument.Parse(json.ToString());
        var posts = doc.RootElement.GetProperty("posts").EnumerateArray().ToDictionary(p => p.GetProperty("externalId").GetString()!);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, posts["m1"].GetProperty("deletedAt").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.String, posts["m2"].GetProperty("deletedAt").ValueKind);
        Assert.Equal(T0.AddMinutes(3), posts["m1"].GetProperty("editedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Retention_erases_every_version_of_an_edited_post()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Edited posts", "mastodon", "m");
        var writer = new PostWriter(database.DataSource);
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Original("m1", "Call 0700 900 123 for help")], [], "1", null));
        await writer.WriteBatchAsync(new PostBatch(incidentId, sourceId, [Edit("m1", "Call 0700 900 124 for help", 2)], [], "2", null));

        // Everything in this database was received moments ago: a retention period of one day, applied a day and a minute later, takes it.
        await new RetentionJob(database.DataSource).ApplyAsync(postDays: 1, DateTimeOffset.UtcNow.AddDays(1).AddMinutes(1));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var versions = (await connection.QueryAsync<(string Text, string? Extra)>("""
            SELECT v.text, v.extra::text FROM post_versions v JOIN posts p ON p.id = v.post_id WHERE p.incident_id = @incidentId
            """, new { incidentId })).ToList();
        Assert.Equal(2, versions.Count);
        Assert.All(versions, v => Assert.Equal(("", null), v));
        Assert.Equal("", await connection.ExecuteScalarAsync<string>("SELECT text FROM posts WHERE incident_id = @incidentId", new { incidentId }));
    }
}
