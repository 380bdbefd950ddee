using CrisisDesk.Data.Domain;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Dapper;

namespace CrisisDesk.IntegrationTests.Rumours;

/// <summary>
/// A rumour's linked posts (LINQ) and their spread per minute (<see cref="RumourSpread"/>) read exactly what the
/// Npgsql statements they replaced read: each statement is kept here, word for word, as the oracle.
/// </summary>
public sealed class RumourLinkedPostsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTime Crash = new(2015, 3, 24, 10, 41, 0, DateTimeKind.Utc);

    private const string LinkedPostIds = """
        SELECT post_id FROM rumour_posts WHERE rumour_id = @rumourId
        UNION
        SELECT p.id FROM rumour_stories rs JOIN posts p ON p.story_id = rs.story_id WHERE rs.rumour_id = @rumourId
        """;

    private const string LinkedPostsBefore = $"""
        SELECT p.id, p.platform, p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt, p.text, p.url,
               p.has_media AS HasMedia, p.lang, p.story_id AS StoryId, coalesce(s.size, 0) AS StorySize,
               coalesce(t.flagged_at IS NOT NULL, false) AS Flagged, coalesce(t.reviewed_at IS NOT NULL, false) AS Reviewed, NULL AS Headline,
               p.edited_at AS EditedAt, p.deleted_at AS DeletedAt
          FROM posts p LEFT JOIN stories s ON s.id = p.story_id LEFT JOIN post_triage t ON t.post_id = p.id
         WHERE p.id IN ({LinkedPostIds})
         ORDER BY p.created_at DESC, p.id DESC LIMIT @limit
        """;

    private const string SpreadBefore = $"""
        WITH linked AS (SELECT date_trunc('minute', created_at) AS minute FROM posts WHERE id IN ({LinkedPostIds})),
             span AS (SELECT min(minute) AS first, max(minute) AS last FROM linked)
        SELECT m AS Minute, (SELECT count(*) FROM linked WHERE linked.minute = m)::int AS Count
          FROM span, generate_series(greatest(span.first, span.last - interval '239 minutes'), span.last, interval '1 minute') AS m
         WHERE span.first IS NOT NULL
         ORDER BY m
        """;

    private RumourQueries Queries => new(CrisisDeskDbContext.FactoryOver(database.DataSource));

    [Fact]
    public async Task Linked_posts_and_their_spread_are_read_as_the_Npgsql_statements_read_them()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Linked posts");
        await using var connection = await database.DataSource.OpenConnectionAsync();
        // Ids far above what stories_id_seq hands the pipeline in this database.
        var linkedStory = 2_000_000_000L + incidentId * 10L;
        var otherStory = linkedStory + 1;
        await connection.ExecuteAsync("""
            INSERT INTO stories (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
            VALUES (@linkedStory, @incidentId, 3, 1, @at, @at, 1.0, 'Bridge down'), (@otherStory, @incidentId, 7, 2, @at, @at, 1.0, 'Ferry late')
            """, new { linkedStory, otherStory, incidentId, at = Crash });
        async Task<long> PostAsync(string externalId, int minute, long? storyId, string text, bool media = false, string? lang = null,
            bool edited = false, bool deleted = false) =>
            await connection.ExecuteScalarAsync<long>("""
                INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url,
                                   lang, has_media, story_id, edited_at, deleted_at)
                VALUES (@incidentId, @sourceId, 'mastodon', @externalId, @at, @at, 'someone', 'Some One', @text, 'https://example.org/' || @externalId,
                        @lang, @media, @storyId, CASE WHEN @edited THEN @at END, CASE WHEN @deleted THEN @at END)
                RETURNING id
                """, new { incidentId, sourceId, externalId, at = Crash.AddMinutes(minute), text, lang, media, storyId, edited, deleted });
        // Two members of the linked story (one also linked by itself), one post linked by itself in another story, one
        // in no story, one at the same minute as another (newest id first), and two posts that are not linked at all.
        var inStory = await PostAsync("a", 0, linkedStory, "The bridge is down", media: true, lang: "en", edited: true);
        var inStoryAndLinked = await PostAsync("b", 3, linkedStory, "Bridge down, I saw it", deleted: true);
        var inOtherStory = await PostAsync("c", 3, otherStory, "Ferry late because of the bridge");
        var alone = await PostAsync("d", 7, null, "Someone said the bridge fell");
        await PostAsync("e", 5, otherStory, "Not linked");
        await PostAsync("f", 6, null, "Not linked either");
        await connection.ExecuteAsync("""
            INSERT INTO post_triage (post_id, incident_id, flagged_at, flagged_by) VALUES (@inStory, @incidentId, now(), 'ann');
            INSERT INTO post_triage (post_id, incident_id, reviewed_at, reviewed_by) VALUES (@alone, @incidentId, now(), 'bob');
            """, new { inStory, alone, incidentId });
        var rumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, created_by) VALUES (@incidentId, 'The bridge fell', 'High', 'ann', 'New', 'ann') RETURNING id
            """, new { incidentId });
        var emptyRumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, created_by) VALUES (@incidentId, 'Nothing linked', 'Low', 'ann', 'New', 'ann') RETURNING id
            """, new { incidentId });
        await connection.ExecuteAsync("""
            INSERT INTO rumour_posts (rumour_id, post_id, linked_by) VALUES (@rumourId, @inStoryAndLinked, 'ann'), (@rumourId, @inOtherStory, 'ann'), (@rumourId, @alone, 'ann');
            INSERT INTO rumour_stories (rumour_id, story_id, linked_by) VALUES (@rumourId, @linkedStory, 'ann');
            """, new { rumourId, inStoryAndLinked, inOtherStory, alone, linkedStory });

        foreach (var (id, limit) in new[] { (rumourId, 100), (rumourId, 2), (emptyRumourId, 100) })
        {
            var before = (await connection.QueryAsync<TriagePost>(LinkedPostsBefore, new { rumourId = id, limit })).ToList();
            Assert.Equal(before, await Queries.LinkedPostsAsync(id, limit));
            var spreadBefore = (await connection.QueryAsync<SpreadMinute>(SpreadBefore, new { rumourId = id })).ToList();
            Assert.Equal(spreadBefore, await Queries.SpreadAsync(id));
        }
        var linked = await Queries.LinkedPostsAsync(rumourId, 100);
        Assert.Equal([alone, inOtherStory, inStoryAndLinked, inStory], linked.Select(p => p.Id));
        Assert.Equal([0, 7, 3, 3], linked.Select(p => p.StorySize));
        Assert.Equal([false, false, false, true], linked.Select(p => p.Flagged));
        Assert.Equal([true, false, false, false], linked.Select(p => p.Reviewed));
        Assert.Equal(8, (await Queries.SpreadAsync(rumourId)).Count);
        Assert.Equal([1, 0, 0, 2, 0, 0, 0, 1], (await Queries.SpreadAsync(rumourId)).Select(m => m.Count));
    }
}
