using Npgsql;

namespace CrisisDesk.TestSupport;

/// <summary>
/// Where a database's one ingest source stands, read the way the failover tests watch it: posts stored, the node
/// holding its lease, its saved cursor.
/// </summary>
public static class DrillSourceState
{
    public static async Task<long> PostsStoredAsync(this TestDatabase database) =>
        (long)(await ScalarAsync(database, "SELECT count(*) FROM posts"))!;

    public static async Task<string?> LeaseOwnerAsync(this TestDatabase database) =>
        await ScalarAsync(database, "SELECT node FROM source_leases") as string;

    public static async Task<string?> CursorAsync(this TestDatabase database) =>
        await ScalarAsync(database, "SELECT cursor FROM sources") as string;

    private static async Task<object?> ScalarAsync(TestDatabase database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
