using CrisisDesk.Data.Leases;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Source leases across ingest nodes against the real database: one owner per source under contention, a lease taken
/// over only after it expires, and a batch written under a lost lease refused.
/// </summary>
public sealed class SourceLeaseTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Eight_nodes_racing_for_twenty_sources_each_get_one_owner_and_again_once_the_leases_expire()
    {
        var (incidentId, first) = await database.NewIncidentAsync("Lease contention");
        var sources = new List<int> { first };
        for (var i = 1; i < 20; i++)
            sources.Add(await database.NewSourceAsync(incidentId));
        var leases = new SourceLeases(database.DataSource);
        var nodes = Enumerable.Range(1, 8).Select(n => $"node-{n}").ToList();
        // Long enough that no lease can run out while a round is still being raced and checked, however slow the machine:
        // with 2 s, a round that took longer under load (160 acquisitions, then 60 checks in turn) saw an early winner's
        // lease expire and rightly go to a second node, and the test failed for the machine's slowness, not the leases'.
        // Expiry itself is then made to happen by moving the leases' end into the past (the database's clock decides it).
        var ttl = TimeSpan.FromMinutes(2);

        for (var round = 0; round < 2; round++)
        {
            // Every node asks for every source at once, in its own order.
            var wins = await Task.WhenAll(nodes.Select((node, n) => Task.Run(async () =>
            {
                var won = new List<int>();
                foreach (var sourceId in sources.OrderBy(s => (s * (n + 3)) % 23))
                {
                    if (await leases.TryAcquireAsync(sourceId, node, ttl))
                        won.Add(sourceId);
                }
                return (node, won);
            })));
            var owners = wins.SelectMany(w => w.won.Select(s => (Source: s, w.node))).ToList();
            Assert.Equal(sources.Order(), owners.Select(o => o.Source).Order());
            await using (var connection = await database.DataSource.OpenConnectionAsync())
            {
                var rows = (await connection.QueryAsync<(int Source, string Node)>(
                    "SELECT source_id, node FROM source_leases WHERE source_id = ANY(@sources)", new { sources })).ToHashSet();
                Assert.Equal(owners.ToHashSet(), rows);
            }

            // While the leases hold, nobody else takes one, and only the owner renews it.
            foreach (var (sourceId, node) in owners)
            {
                var other = nodes.First(n => n != node);
                Assert.False(await leases.TryAcquireAsync(sourceId, other, ttl), $"{other} took source {sourceId} from {node}");
                Assert.Empty(await leases.RenewAsync([sourceId], other, ttl));
                Assert.Equal([sourceId], await leases.RenewAsync([sourceId], node, ttl));
            }
            // The owners stop renewing (as if killed): once expired, the next race starts afresh.
            await using (var connection = await database.DataSource.OpenConnectionAsync())
                await connection.ExecuteAsync("UPDATE source_leases SET expires_at = now() - interval '1 second' WHERE source_id = ANY(@sources)", new { sources });
            foreach (var (sourceId, node) in owners)
                Assert.Empty(await leases.RenewAsync([sourceId], nodes.First(n => n != node), ttl));
        }
    }

    [Fact]
    public async Task A_released_lease_is_free_at_once()
    {
        var (_, sourceId) = await database.NewIncidentAsync("Lease release");
        var leases = new SourceLeases(database.DataSource);
        Assert.True(await leases.TryAcquireAsync(sourceId, "a", TimeSpan.FromMinutes(5)));
        Assert.False(await leases.TryAcquireAsync(sourceId, "b", TimeSpan.FromMinutes(5)));
        await leases.ReleaseAsync([sourceId], "a");
        Assert.True(await leases.TryAcquireAsync(sourceId, "b", TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task A_node_whose_lease_was_taken_cannot_commit_a_batch_and_stores_nothing()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Lease fencing");
        var leases = new SourceLeases(database.DataSource);
        var writer = new PostWriter(database.DataSource);
        Assert.True(await leases.TryAcquireAsync(sourceId, "paused", TimeSpan.FromMilliseconds(300)));
        await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "before", 3, T0) with { Cursor = "3", LeaseHolder = "paused" });

        // "paused" stops renewing; its lease expires and "successor" takes it.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.True(await leases.TryAcquireAsync(sourceId, "successor", TimeSpan.FromMinutes(5)));
        await Assert.ThrowsAsync<SourceLeaseLostException>(() =>
            writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "late", 5, T0) with { Cursor = "8", LeaseHolder = "paused" }));
        Assert.Empty(await leases.RenewAsync([sourceId], "paused", TimeSpan.FromMinutes(5)));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var (posts, stored, cursor) = await connection.QuerySingleAsync<(long, long, string)>(
            "SELECT (SELECT count(*) FROM posts WHERE source_id = @sourceId), posts_stored, cursor FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((3L, 3L, "3"), (posts, stored, cursor));
        await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "after", 2, T0) with { Cursor = "5", LeaseHolder = "successor" });
        Assert.Equal(5, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE source_id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task A_takeover_waits_for_the_batch_the_old_owner_is_committing_and_then_sees_its_cursor()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Lease takeover mid-batch");
        var leases = new SourceLeases(database.DataSource);
        Assert.True(await leases.TryAcquireAsync(sourceId, "old", TimeSpan.FromMilliseconds(400)));
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var slow = new PostWriter(database.DataSource)
        {
            BeforeCommit = async _ =>
            {
                held.SetResult();
                await release.Task;
            },
        };
        var committing = slow.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "old", 4, T0) with { Cursor = "4", LeaseHolder = "old" });
        await held.Task;
        await Task.Delay(TimeSpan.FromMilliseconds(600)); // the old owner's lease expires while its batch is open

        var takeover = leases.TryAcquireAsync(sourceId, "new", TimeSpan.FromMinutes(5));
        await database.WaitForLockWaitAsync("transactionid");
        Assert.False(takeover.IsCompleted, "the lease changed hands while its owner's batch was still open");
        release.SetResult();
        Assert.Equal(4, (await committing).Count);
        Assert.True(await takeover);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal("4", await connection.ExecuteScalarAsync<string>("SELECT cursor FROM sources WHERE id = @sourceId", new { sourceId }));
    }
}
