using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Review;

/// <summary>
/// Several events of one change (an approval that also publishes, a drill that opens and starts) go in with one lock of
/// the chain head: they take consecutive numbers in order, each links to the one before, and the chain still verifies.
/// </summary>
public sealed class EventLogAppendTests : IAsyncLifetime
{
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateMigratedAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Events_appended_together_are_numbered_in_order_linked_and_verified()
    {
        var before = await EventLog.AppendAsync(_database.DataSource, "operator1", null, new IncidentOpened("Before", Drill: false));
        await using (var db = await CrisisDeskDbContext.FactoryOver(_database.DataSource).CreateDbContextAsync())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var last = await EventLog.AppendAsync(db, "operator2", null,
                [new IncidentOpened("Drill: storm", Drill: true), new DrillStarted("storm", 7, 2.5, 30), new DrillStarted("storm", 8, 1, 10)]);
            await transaction.CommitAsync();
            Assert.Equal(before + 3, last);
        }

        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(long Seq, string Actor, string Action, string Payload, byte[] Prev, byte[] Hash)>(
            "SELECT seq, actor, action, payload::text, prev_hash, hash FROM events WHERE seq > @before ORDER BY seq", new { before })).ToList();
        Assert.Equal([before + 1, before + 2, before + 3], rows.Select(r => r.Seq));
        Assert.Equal(["incident.opened", "drill.started", "drill.started"], rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.Equal("operator2", r.Actor));
        Assert.Contains("\"sourceId\": 7", rows[1].Payload);
        Assert.Contains("\"sourceId\": 8", rows[2].Payload);
        Assert.Equal(rows[0].Hash, rows[1].Prev);
        Assert.Equal(rows[1].Hash, rows[2].Prev);
        var chain = await EventLog.VerifyChainAsync(_database.DataSource);
        Assert.True(chain.Holds, chain.Break?.Problem);
        Assert.Equal(before + 3, chain.HeadSeq);
        Assert.Equal(rows[2].Hash, chain.HeadHash);
    }
}
