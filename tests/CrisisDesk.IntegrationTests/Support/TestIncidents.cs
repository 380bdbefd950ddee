using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Support;

/// <summary>Incidents, sources and plain batches of posts written straight to the test database.</summary>
internal static class TestIncidents
{
    public static async Task<(int IncidentId, int SourceId)> NewIncidentAsync(this TestDatabase database, string name, string sourceKind = "test", string sourceName = "test")
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES (@name) RETURNING id", new { name });
        return (incidentId, await database.NewSourceAsync(incidentId, sourceKind, sourceName));
    }

    public static async Task<int> NewSourceAsync(this TestDatabase database, int incidentId, string kind = "test", string name = "test")
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(
            "INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, @kind, @name) RETURNING id", new { incidentId, kind, name });
    }

    /// <summary><paramref name="count"/> Mastodon posts <c>{prefix}1</c>…, a second apart after <paramref name="at"/>.</summary>
    public static PostBatch Batch(int incidentId, int sourceId, string prefix, int count, DateTimeOffset at) =>
        new(incidentId, sourceId, Enumerable.Range(1, count).Select(n => new Post
        {
            Platform = "mastodon",
            ExternalId = $"{prefix}{n}",
            CreatedAt = at.AddSeconds(n),
            Text = $"Report {prefix}{n} from the river",
        }).ToList(), [], null, null);

    /// <summary>Until a session of the test database waits for a lock of the kind named (<c>relation</c>, <c>advisory</c>, …).</summary>
    public static async Task WaitForLockWaitAsync(this TestDatabase database, string waitEvent)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await connection.ExecuteScalarAsync<long>(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = @waitEvent",
                   new { waitEvent }) == 0)
            await Task.Delay(20, guard.Token);
    }
}
