using CrisisDesk.Data;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Pipeline;

public sealed class MigrationTests
{
    [Fact]
    public async Task From_empty_every_migration_applies_and_a_rerun_applies_nothing()
    {
        await using var database = await TestDatabase.CreateEmptyAsync();

        var first = await database.NewMigrator().MigrateAsync();
        var second = await database.NewMigrator().MigrateAsync();

        Assert.Equal(DatabaseMigrator.Embedded.Select(m => m.Version), first);
        Assert.Empty(second);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(DatabaseMigrator.Embedded.Select(m => m.Version), await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task Two_nodes_starting_at_once_take_turns_and_each_migration_applies_once()
    {
        await using var database = await TestDatabase.CreateEmptyAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => database.NewMigrator().MigrateAsync())));

        Assert.Equal(DatabaseMigrator.Embedded.Select(m => m.Version), results.SelectMany(r => r).Order());
        Assert.Single(results, r => r.Count > 0);
    }

    [Fact]
    public async Task The_events_table_refuses_updates_and_deletes()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        await CrisisDesk.Data.Events.EventLog.AppendOutsideContractAsync(database.DataSource, "tester", "test.done", null, new { n = 1 });
        await using var connection = await database.DataSource.OpenConnectionAsync();

        var update = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("UPDATE events SET actor = 'someone else'"));
        var delete = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("DELETE FROM events"));

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_appends_make_one_gap_free_chain_that_verifies()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
                await CrisisDesk.Data.Events.EventLog.AppendOutsideContractAsync(database.DataSource, $"writer{w}", "test.appended", null, new { i });
        })));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(200, await connection.ExecuteScalarAsync<long>("SELECT max(seq) FROM events"));
        Assert.Null(await CrisisDesk.Data.Events.EventLog.VerifyAsync(database.DataSource));
    }
}
