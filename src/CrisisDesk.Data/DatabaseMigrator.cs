using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Data;

/// <summary>
/// Applies the numbered SQL files embedded from <c>Migrations/</c> (<c>NNNN_name.sql</c>) in order, each in its own
/// transaction and recorded in <c>schema_migrations</c>. An advisory lock makes two nodes starting at once take turns;
/// the second finds the work done.
/// </summary>
public sealed class DatabaseMigrator(NpgsqlDataSource dataSource, ILogger<DatabaseMigrator> logger)
{
    // Any constant unique to CrisisDesk: "CDMIGRATE" folded into a bigint.
    private const long MigrationLockKey = 0x43444D4947524154;

    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>Applies what is missing and returns the versions it applied.</summary>
    public Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default) => MigrateAsync(int.MaxValue, cancellationToken);

    /// <summary>
    /// Applies what is missing up to and including <paramref name="lastVersion"/> and returns the versions it applied.
    /// Stopping early builds a database as an older release left it (the upgrade test fills one and migrates it on).
    /// </summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(int lastVersion, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var @lock = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection) { Parameters = { new() { Value = MigrationLockKey } } })
            await @lock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var create = new NpgsqlCommand("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, connection))
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    applied.Add(reader.GetInt32(0));

            var done = new List<int>();
            foreach (var migration in Embedded.Where(m => m.Version <= lastVersion && !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                    await apply.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection, transaction)
                {
                    Parameters = { new() { Value = migration.Version }, new() { Value = migration.Name } },
                })
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Applied migration {Version} {Name}.", migration.Version, migration.Name);
                done.Add(migration.Version);
            }
            return done;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection) { Parameters = { new() { Value = MigrationLockKey } } };
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var fileName = resource["Migrations.".Length..^".sql".Length];
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(fileName.AsSpan(0, separator), out var version))
                throw new InvalidOperationException($"Migration {resource} is not named NNNN_name.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, fileName[(separator + 1)..], reader.ReadToEnd()));
        }
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}.");
        return migrations.OrderBy(m => m.Version).ToList();
    }
}
