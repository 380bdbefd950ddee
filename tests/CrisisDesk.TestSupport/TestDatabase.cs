using CrisisDesk.Data;
using CrisisDesk.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrisisDesk.TestSupport;

/// <summary>
/// The PostgreSQL server the tests use: <c>CRISISDESK_TEST_DB</c> (a connection string to a server where the tests
/// may create databases) when set, otherwise a private cluster started once per test run from the installed server
/// binaries in a temporary directory and removed at exit.
/// </summary>
public static class TestServer
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _serverConnectionString;
    private static EmbeddedPostgres? _embedded;
    private static string? _directory;

    public static async Task<string> ConnectionStringAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_serverConnectionString is not null)
                return _serverConnectionString;
            var configured = Environment.GetEnvironmentVariable("CRISISDESK_TEST_DB");
            if (!string.IsNullOrWhiteSpace(configured))
                return _serverConnectionString = configured;
            RemoveLeftovers();
            _directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
            _embedded = await EmbeddedPostgres.StartAsync(_directory, logger: NullLogger.Instance, database: "postgres", serverSettings: NonDurable);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => StopEmbedded();
            return _serverConnectionString = _embedded.ConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    private const string DirectoryPrefix = "crisisdesk-test-";

    /// <summary>
    /// PostgreSQL's own "non-durable settings" for a throwaway cluster: no flush to disk at commit or checkpoint. Every
    /// test database is created and dropped (a checkpoint each) on this one server while the app under test writes
    /// drills into it; on a two-core machine waiting for the disk cost more than the tests did. Crash tests kill
    /// CrisisDesk, never this server, so what they prove is untouched.
    /// </summary>
    private static readonly Dictionary<string, string> NonDurable = new()
    {
        ["fsync"] = "off",
        ["synchronous_commit"] = "off",
        ["full_page_writes"] = "off",
    };

    /// <summary>
    /// Removes the clusters of earlier test runs whose process is gone. The test host is often ended before its exit
    /// handler has deleted its cluster, which would otherwise leave 50-100 MB in the temporary directory per run.
    /// </summary>
    private static void RemoveLeftovers()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var name = Path.GetFileName(directory);
            var pid = name[DirectoryPrefix.Length..].Split('-')[0];
            if (!int.TryParse(pid, out var owner) || Directory.Exists($"/proc/{owner}") || File.Exists(Path.Combine(directory, "postgres", "postmaster.pid")))
                continue; // its test run may still be going, or its server still running
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's, or in use: leave it.
            }
        }
    }

    private static void StopEmbedded()
    {
        if (_embedded is null)
            return;
        _embedded.StopAsync().GetAwaiter().GetResult();
        try
        {
            Directory.Delete(_directory!, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}

/// <summary>
/// A fresh database of its own for one test class (as an xunit class fixture: migrated) or one test (create one
/// directly), on the test server, dropped on dispose.
/// </summary>
public sealed class TestDatabase : Xunit.IAsyncLifetime, IAsyncDisposable
{
    private string? _serverConnectionString;

    public string Name { get; } = $"crisisdesk_test_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = default!;

    /// <summary>Creates an empty database (no migrations).</summary>
    public static async Task<TestDatabase> CreateEmptyAsync()
    {
        var database = new TestDatabase();
        await database.CreateAsync(migrate: false);
        return database;
    }

    /// <summary>Creates a database with every migration applied (a copy of the migrated template).</summary>
    public static async Task<TestDatabase> CreateMigratedAsync()
    {
        var database = new TestDatabase();
        await database.CreateAsync(migrate: true);
        return database;
    }

    /// <summary>
    /// Creates the database: empty, or (<paramref name="migrate"/>) a copy of the run's migrated template, which is
    /// what migrating it would make, in a fraction of the time (see <see cref="MigratedTemplate"/>).
    /// </summary>
    public async Task CreateAsync(bool migrate)
    {
        _serverConnectionString = await TestServer.ConnectionStringAsync();
        var template = migrate ? await MigratedTemplate.NameAsync(_serverConnectionString) : null;
        await using (var server = new NpgsqlConnection(_serverConnectionString))
        {
            await server.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"{(template is null ? "" : $" TEMPLATE \"{template}\"")}", server);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = Name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public DatabaseMigrator NewMigrator() => new(DataSource, NullLogger<DatabaseMigrator>.Instance);

    Task Xunit.IAsyncLifetime.InitializeAsync() => CreateAsync(migrate: true);

    Task Xunit.IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
            await DataSource.DisposeAsync();
        if (_serverConnectionString is null)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var server = new NpgsqlConnection(_serverConnectionString);
        await server.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", server);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// One database per test server with every migration applied, which test databases are copied from
/// (<c>CREATE DATABASE … TEMPLATE</c>): a copy costs a file copy, where migrating costs every migration's DDL, and the
/// suite creates a migrated database a few hundred times (each integration class, each browser test's server).
/// What migrating does is tested where it matters, on empty databases (the migration and upgrade tests, the embedded
/// cluster's first run). The name carries a hash of the migrations, so a changed migration makes a new template.
/// </summary>
public static class MigratedTemplate
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, string> Made = [];

    public static string Name { get; } = $"crisisdesk_template_{MigrationsHash()}";

    public static async Task<string> NameAsync(string serverConnectionString)
    {
        await Gate.WaitAsync();
        try
        {
            if (Made.TryGetValue(serverConnectionString, out var made))
                return made;
            await using var server = new NpgsqlConnection(serverConnectionString);
            await server.OpenAsync();
            await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", server) { Parameters = { new() { Value = Name } } })
            {
                if ((bool)(await exists.ExecuteScalarAsync())!)
                    return Made[serverConnectionString] = Name;
            }

            // Built under a name of its own and renamed when complete: a test run on the same CRISISDESK_TEST_DB
            // server never copies a half-migrated template, and of two runs building at once one rename wins.
            var building = $"crisisdesk_template_building_{Guid.NewGuid():N}";
            await Execute(server, $"CREATE DATABASE \"{building}\"");
            var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = building, Pooling = false }.ConnectionString;
            await using (var dataSource = NpgsqlDataSource.Create(connectionString))
                await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync();
            // No connections to a template: a copy fails while anyone is connected to its source.
            await Execute(server, $"ALTER DATABASE \"{building}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
            try
            {
                await Execute(server, $"ALTER DATABASE \"{building}\" RENAME TO \"{Name}\"");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                await Execute(server, $"ALTER DATABASE \"{building}\" WITH IS_TEMPLATE false");
                await Execute(server, $"DROP DATABASE \"{building}\"");
            }
            return Made[serverConnectionString] = Name;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task Execute(NpgsqlConnection server, string sql)
    {
        await using var command = new NpgsqlCommand(sql, server);
        await command.ExecuteNonQueryAsync();
    }

    private static string MigrationsHash()
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        foreach (var migration in DatabaseMigrator.Embedded)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes($"{migration.Version}\n{migration.Name}\n{migration.Sql}\n");
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant();
    }
}
