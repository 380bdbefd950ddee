using CrisisDesk.Data.Events;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Review;
using Dapper;

namespace CrisisDesk.IntegrationTests.Review;

public sealed class RetentionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Old_posts_lose_their_text_and_author_while_counts_and_the_audit_chain_stay_intact()
    {
        var now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Retention') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'replay', 'r') RETURNING id", new { incidentId });
        for (var i = 0; i < 7; i++)
            await connection.ExecuteAsync("""
                INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, extra)
                VALUES (@incidentId, @sourceId, 'x', @id, @at, @at, 'handle', 'Real Name', 'personal text', 'https://x.com/handle/status/1', '{"followers": 3}')
                """, new { incidentId, sourceId, id = $"p{i}", at = now.AddDays(-40 + i * 10) }); // -40, -30, -20, -10, 0, 10, 20 days
        await connection.ExecuteAsync("INSERT INTO quarantine (source_id, format, reason, payload, received_at) VALUES (@sourceId, 'x', 'bad', '\\x41'::bytea, @at)",
            new { sourceId, at = now.AddDays(-60) });
        await EventLog.AppendOutsideContractAsync(database.DataSource, "op", "rumour.created", incidentId, new { rumourId = "r", claim = "kept", postIds = new[] { 1 } });
        var job = new RetentionJob(database.DataSource);

        var erased = await job.ApplyAsync(postDays: 15, now, batchSize: 2);

        Assert.Equal(3, erased); // -40, -30 and -20 days
        var posts = (await connection.QueryAsync<(string Text, string? Handle, string? Name, string? Url, string? Extra, bool Erased)>(
            "SELECT text, author_handle, author_name, url, extra::text, erased_at IS NOT NULL FROM posts WHERE incident_id = @incidentId ORDER BY received_at", new { incidentId })).ToList();
        Assert.Equal(7, posts.Count);
        Assert.All(posts.Take(3), p => Assert.Equal(("", null, null, null, null, true), p));
        Assert.All(posts.Skip(3), p => Assert.Equal("personal text", p.Text));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT length(payload) FROM quarantine WHERE source_id = @sourceId", new { sourceId }));
        // Two batches of at most two posts, each recorded; the rumour's event (and its claim) untouched.
        var applied = (await connection.QueryAsync<int>("SELECT (payload->>'postsErased')::int FROM events WHERE action = 'retention.applied' AND incident_id = @incidentId ORDER BY seq", new { incidentId })).ToList();
        Assert.Equal([2, 1], applied);
        Assert.Equal("kept", await connection.ExecuteScalarAsync<string>("SELECT payload->>'claim' FROM events WHERE action = 'rumour.created' AND incident_id = @incidentId", new { incidentId }));
        Assert.Null(await EventLog.VerifyAsync(database.DataSource));

        // Running again erases nothing more and records nothing more.
        Assert.Equal(0, await job.ApplyAsync(15, now));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'retention.applied' AND incident_id = @incidentId", new { incidentId }));
    }
}
