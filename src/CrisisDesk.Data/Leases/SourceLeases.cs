using Npgsql;

namespace CrisisDesk.Data.Leases;

/// <summary>
/// Which ingest node runs which source: a lease row per source (<c>source_leases</c>, migration 0830) that its node
/// renews (heartbeat) and that expires when it stops renewing. A lease row rather than a session advisory lock: it
/// survives a connection blip (a lock dies with its connection, and the source would change hands for nothing), needs
/// no connection held open per source, works through a transaction-mode pooler, shows who owns what (health,
/// operators), and its expiry is the database's clock. The writer checks it in each batch's transaction
/// (<see cref="CrisisDesk.Data.Posts.PostBatch.LeaseHolder"/>), so only the holder commits.
/// </summary>
/// <remarks>
/// Raw Npgsql, and in CrisisDesk.Data beside the post writer's check rather than in the ingest host that uses it: the
/// lease table is infrastructure, not mapped in EF Core, taken and renewed by every ingest node each round (a second by
/// default) with <c>INSERT … ON CONFLICT … WHERE</c> and <c>UPDATE … RETURNING</c>; and which sources a node may take,
/// or must stop, is a join of <c>sources</c> and <c>incidents</c> with the leases, one statement each per round.
/// </remarks>
public sealed class SourceLeases(NpgsqlDataSource dataSource)
{
    /// <summary>Takes the source's lease if it is free, expired, or already this node's; true when this node holds it now.</summary>
    public async Task<bool> TryAcquireAsync(int sourceId, string node, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO source_leases AS l (source_id, node, expires_at) VALUES ($1, $2, now() + $3)
            ON CONFLICT (source_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at,
                   taken_at = CASE WHEN l.node = excluded.node THEN l.taken_at ELSE now() END
             WHERE l.expires_at < now() OR l.node = excluded.node
            RETURNING node
            """);
        command.Parameters.Add(new() { Value = sourceId });
        command.Parameters.Add(new() { Value = node });
        command.Parameters.Add(new() { Value = ttl });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string holder && holder == node;
    }

    /// <summary>
    /// Renews this node's leases on the sources given; returns those it still holds (any other was taken by another node
    /// after it expired). One that expired but that no one took is still this node's: nobody else can have written.
    /// </summary>
    public async Task<IReadOnlySet<int>> RenewAsync(IReadOnlyCollection<int> sourceIds, string node, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var held = new HashSet<int>();
        if (sourceIds.Count == 0)
            return held;
        await using var command = dataSource.CreateCommand("""
            UPDATE source_leases SET expires_at = now() + $3
             WHERE source_id = ANY($1) AND node = $2
            RETURNING source_id
            """);
        command.Parameters.Add(new() { Value = sourceIds.ToArray() });
        command.Parameters.Add(new() { Value = node });
        command.Parameters.Add(new() { Value = ttl });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            held.Add(reader.GetInt32(0));
        return held;
    }

    /// <summary>Gives the lease back (a stopped source, a node shutting down), so another node may take it at once.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<int> sourceIds, string node, CancellationToken cancellationToken = default)
    {
        if (sourceIds.Count == 0)
            return;
        await using var command = dataSource.CreateCommand("DELETE FROM source_leases WHERE source_id = ANY($1) AND node = $2");
        command.Parameters.Add(new() { Value = sourceIds.ToArray() });
        command.Parameters.Add(new() { Value = node });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The enabled sources of open incidents, not removed, that no node holds (no lease, or an expired one): what a
    /// node may take.
    /// </summary>
    public async Task<IReadOnlyList<int>> UnownedAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT s.id FROM sources s JOIN incidents i ON i.id = s.incident_id
              LEFT JOIN source_leases l ON l.source_id = s.id
             WHERE s.enabled AND s.removed_at IS NULL AND i.closed_at IS NULL AND (l.source_id IS NULL OR l.expires_at < now())
             ORDER BY s.id
            """);
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            ids.Add(reader.GetInt32(0));
        return ids;
    }

    /// <summary>Of the sources given, those that may no longer run: disabled, removed, or their incident closed.</summary>
    public async Task<IReadOnlyList<int>> NotRunnableAsync(IReadOnlyCollection<int> sourceIds, CancellationToken cancellationToken = default)
    {
        if (sourceIds.Count == 0)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT s.id FROM sources s JOIN incidents i ON i.id = s.incident_id
             WHERE s.id = ANY($1) AND NOT (s.enabled AND s.removed_at IS NULL AND i.closed_at IS NULL)
            """);
        command.Parameters.Add(new() { Value = sourceIds.ToArray() });
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            ids.Add(reader.GetInt32(0));
        return ids;
    }
}
