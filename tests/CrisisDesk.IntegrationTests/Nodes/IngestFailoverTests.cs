using System.Diagnostics;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Two ingest nodes, real processes on one database: the node running the drill is killed with SIGKILL mid-replay, and
/// the other takes the source over when its lease expires and resumes from the cursor, ending with exactly the drill's
/// posts, none twice.
/// </summary>
public sealed class IngestFailoverTests : IAsyncLifetime
{
    private const int DrillPosts = 238;
    private const string AdminPassword = "failover-test-admin-password";
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateEmptyAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_killed_ingest_nodes_source_resumes_on_the_other_within_seconds_with_exact_counts()
    {
        Dictionary<string, string> Settings(string node, string speed, string maxGap) => new()
        {
            ["ConnectionStrings:CrisisDesk"] = _database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            ["CrisisDesk:Roles"] = "ingest",
            ["CrisisDesk:Nodes:Name"] = node,
            ["CrisisDesk:Nodes:LeaseSeconds"] = "2",
            ["CrisisDesk:Drill:Speed"] = speed,
            ["CrisisDesk:Drill:MaxGapSeconds"] = maxGap,
        };
        // The first node opens the drill (first run) and takes its source; the second waits for a free lease. node-a's
        // pace stores 20 posts in ~3 s and all 238 in ~70 s: room for node-b to start on a loaded machine before the
        // kill (at 1000×/0.2 s the whole drill took ~22 s, and a slow start of node-b let it finish before the kill).
        var first = await AppProcess.StartAsync(Settings("node-a", "200", "0.5"), $"{nameof(IngestFailoverTests)}-a");
        await using var second = await AppProcess.StartAsync(Settings("node-b", "1000000", "0"), $"{nameof(IngestFailoverTests)}-b");
        try
        {
            await EventuallyAsync(async () => await _database.PostsStoredAsync() >= 20, "the drill to store its first posts on node-a");
            Assert.Equal("node-a", await _database.LeaseOwnerAsync());

            await first.KillAsync();
            var killedAt = Stopwatch.StartNew();
            var storedAtKill = await _database.PostsStoredAsync();
            Assert.InRange(storedAtKill, 20, DrillPosts - 1);

            await EventuallyAsync(async () => await _database.LeaseOwnerAsync() == "node-b", "node-b to take the source");
            var takeover = killedAt.Elapsed;
            Assert.True(takeover < TimeSpan.FromSeconds(6), $"node-b took the source {takeover.TotalSeconds:0.0} s after the kill (lease 2 s)");
            await EventuallyAsync(async () => await _database.CursorAsync() == DrillPosts.ToString(System.Globalization.CultureInfo.InvariantCulture), "the drill to finish on node-b");
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var (posts, distinct, counted, quarantined) = await connection.QuerySingleAsync<(long, long, long, long)>("""
            SELECT (SELECT count(*) FROM posts), (SELECT count(DISTINCT external_id) FROM posts), s.posts_stored, s.quarantined FROM sources s
            """);
        Assert.Equal((DrillPosts, DrillPosts, DrillPosts, 0L), (posts, distinct, counted, quarantined));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(90))
                Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(100);
        }
    }
}
