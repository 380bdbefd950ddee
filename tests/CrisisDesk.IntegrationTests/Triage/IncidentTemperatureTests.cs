using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.IntegrationTests.Triage;

/// <summary>The incident's temperature board on a real PostgreSQL: seeded from stored posts, advanced by live ones, each counted once.</summary>
public sealed class IncidentTemperatureTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_board_starts_from_the_stored_posts_and_adds_the_live_ones()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Temperature test", sourceName: "River gauge");
        var writer = new PostWriter(database.DataSource);
        await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "s", 3, T0));
        var feed = new LiveFeed();
        using var temperature = new IncidentTemperature(feed, database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));

        Assert.Equal([(T0.UtcDateTime, 3)], Minutes(await temperature.SnapshotAsync(incidentId)));

        feed.Publish(incidentId, await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "l", 2, T0.AddMinutes(1))));
        var minutes = await EventuallyAsync(async () => Minutes(await temperature.SnapshotAsync(incidentId)), m => m.Count == 2);
        Assert.Equal([(T0.UtcDateTime, 3), (T0.AddMinutes(1).UtcDateTime, 2)], minutes);
    }

    [Fact]
    public async Task A_post_that_arrives_live_while_the_board_is_seeding_is_counted_once()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Temperature test", sourceName: "River gauge");
        await new PostWriter(database.DataSource).WriteAsync(TestIncidents.Batch(incidentId, sourceId, "s", 3, T0));
        var feed = new LiveFeed();
        using var temperature = new IncidentTemperature(feed, database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));

        // The board's seed is held at its first read; meanwhile a fourth post commits and is published live.
        await using var blocker = await database.DataSource.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("LOCK TABLE sources IN ACCESS EXCLUSIVE MODE", transaction: hold);
        var snapshot = temperature.SnapshotAsync(incidentId);
        await database.WaitForLockWaitAsync("relation");
        var late = await InsertPostAsync(incidentId, sourceId, "late", T0.AddSeconds(30));
        feed.Publish(incidentId, [late]);
        // Long enough for the live feed (250 ms throttle) to deliver the post while the seed is still held; a board
        // that counted it then would count it again from the seed.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await hold.CommitAsync();

        Assert.Equal([(T0.UtcDateTime, 4)], Minutes(await snapshot));
        await Task.Delay(TimeSpan.FromSeconds(1)); // and nothing counts it later either
        Assert.Equal([(T0.UtcDateTime, 4)], Minutes(await temperature.SnapshotAsync(incidentId)));
    }

    [Fact]
    public async Task A_minute_turning_negative_after_calm_stored_minutes_is_a_mood_shift()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Mood test", sourceName: "Mastodon");
        var writer = new PostWriter(database.DataSource);
        // Six calm minutes stored (one post in five negative), then the board starts from them.
        for (var minute = 0; minute < 6; minute++)
            await writer.WriteAsync(Scored(incidentId, sourceId, $"calm{minute}-", T0.AddMinutes(minute), 20, negative: 4));
        var feed = new LiveFeed();
        using var temperature = new IncidentTemperature(feed, database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));
        Assert.Null((await temperature.SnapshotAsync(incidentId)).ActiveMoodShift);

        // A minute in which most posts read negative arrives live.
        feed.Publish(incidentId, await writer.WriteAsync(Scored(incidentId, sourceId, "angry-", T0.AddMinutes(6), 20, negative: 16)));
        var shift = await EventuallyAsync(async () => (await temperature.SnapshotAsync(incidentId)).ActiveMoodShift, s => s is not null);
        Assert.Equal(T0.AddMinutes(6), shift!.Minute);
        Assert.Equal(0.2, shift.BaselineShare, 3);
        Assert.True(shift.NegativeShare >= 0.45, $"negative share {shift.NegativeShare}");
    }

    /// <summary><paramref name="count"/> posts in one minute, <paramref name="negative"/> of them scored negative, spread among the rest.</summary>
    private static PostBatch Scored(int incidentId, int sourceId, string prefix, DateTimeOffset minute, int count, int negative)
    {
        var batch = TestIncidents.Batch(incidentId, sourceId, prefix, count, minute);
        return batch with
        {
            Classifications = [.. Enumerable.Range(0, count).Select(i => (PostClassification?)new PostClassification(
                Informativeness.RelatedInformative, InformationType.AffectedIndividuals,
                (i + 1) * negative / count > i * negative / count ? -0.7f : 0.3f))],
        };
    }

    private static List<(DateTime Minute, int Count)> Minutes(TemperatureSnapshot snapshot) =>
        Assert.Single(snapshot.Sources).Minutes.Where(m => m.Count > 0).Select(m => (m.Minute, m.Count)).ToList();

    private async Task<StoredPost> InsertPostAsync(int incidentId, int sourceId, string externalId, DateTimeOffset createdAt)
    {
        var post = new Post { Platform = "mastodon", ExternalId = externalId, CreatedAt = createdAt, Text = "Report from the river" };
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var (id, receivedAt) = await connection.QuerySingleAsync<(long, DateTime)>("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, text)
            VALUES (@incidentId, @sourceId, @Platform, @ExternalId, @CreatedAt, now(), @Text)
            RETURNING id, received_at
            """, new { incidentId, sourceId, post.Platform, post.ExternalId, post.CreatedAt, post.Text });
        return new StoredPost(id, incidentId, sourceId, new DateTimeOffset(DateTime.SpecifyKind(receivedAt, DateTimeKind.Utc)), post);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            await Task.Delay(50, guard.Token);
        }
    }
}
