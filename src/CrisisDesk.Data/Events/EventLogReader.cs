using System.Text;
using CrisisDesk.Data.Domain;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CrisisDesk.Data.Events;

/// <summary>
/// Which events a read takes; every part optional (null: any). Times: from inclusive, to exclusive.
/// </summary>
/// <param name="Actor">Who acted, or the account the event names (<c>userName</c> in its payload, compared case-insensitively).</param>
/// <param name="Action">One action, exactly.</param>
/// <param name="ActionNoun">Every action of one noun (<c>rumour</c>: <c>rumour.created</c>, <c>rumour.status-changed</c>, …).</param>
/// <param name="BeforeSeq">Only events before this sequence number (a keyset page's continuation).</param>
public sealed record EventFilter(string? Actor = null, string? Action = null, string? ActionNoun = null, int? IncidentId = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, long? BeforeSeq = null);

/// <summary>
/// The last event of <paramref name="Action"/> in incident <paramref name="IncidentId"/> whose payload's
/// <paramref name="IdKey"/> holds <paramref name="Id"/> (<c>alert.submitted</c>, <c>alertId</c>, 12): what was done to one thing.
/// </summary>
public sealed record ActedOn(int IncidentId, string Action, string IdKey, int Id);

/// <summary>
/// The event log's reads: the notifier's batches past its cursor, an incident's history (replay, reports), the audit
/// view's filtered pages and counts, and who last acted on a thing (the approvals inbox). Raw SQL (Dapper) like the
/// log's appends in <see cref="EventLog"/>: the log is append-only and hash-chained, never changed through EF Core, and
/// read at volume by sequence-number ranges and jsonb payloads. Each read runs on the connection it is given, so a
/// caller that reads posts too keeps to one connection; <see cref="AfterAsync"/> runs in the DbContext's transaction.
/// </summary>
public static class EventLogReader
{
    private const string Columns = "SELECT seq, at, actor, action, incident_id AS IncidentId, payload::text AS Payload FROM events";

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="afterSeq"/>, in log order, read on the DbContext's
    /// connection in its current transaction (the notifier's, which holds its cursor locked).
    /// </summary>
    public static async Task<IReadOnlyList<EventRecord>> AfterAsync(DbContext db, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        return await ReadAsync(connection, Columns + " WHERE seq > @afterSeq ORDER BY seq LIMIT @limit", new { afterSeq, limit }, transaction, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Every event of the incident, in log order (events_incident_idx).</summary>
    public static Task<IReadOnlyList<EventRecord>> OfIncidentAsync(NpgsqlConnection connection, int incidentId, CancellationToken cancellationToken) =>
        ReadAsync(connection, Columns + " WHERE incident_id = @incidentId ORDER BY seq", new { incidentId }, null, cancellationToken);

    /// <summary>How many events match <paramref name="filter"/>.</summary>
    public static async Task<long> CountAsync(NpgsqlConnection connection, EventFilter filter, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(filter);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM events" + where, parameters, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
    }

    /// <summary>Events matching <paramref name="filter"/>, newest first: <paramref name="limit"/> of them after skipping <paramref name="offset"/>.</summary>
    public static Task<IReadOnlyList<EventRecord>> NewestFirstAsync(NpgsqlConnection connection, EventFilter filter, long offset, int limit, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(filter);
        parameters.Add("limit", limit);
        parameters.Add("offset", offset);
        return ReadAsync(connection, Columns + where + " ORDER BY seq DESC LIMIT @limit OFFSET @offset", parameters, null, cancellationToken);
    }

    /// <summary>Who has acted (the first 1000, in order) and every action there is: the distinct values over the whole log.</summary>
    public static async Task<(IReadOnlyList<string> Actors, IReadOnlyList<string> Actions)> DistinctActorsAndActionsAsync(NpgsqlConnection connection,
        CancellationToken cancellationToken)
    {
        var actors = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT actor FROM events ORDER BY 1 LIMIT 1000", cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        var actions = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT action FROM events ORDER BY 1", cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return (actors.ToList(), actions.ToList());
    }

    /// <summary>
    /// For each of <paramref name="subjects"/>, in their order, the actor of the latest such event, or null where there
    /// is none: one statement, each looked up by its incident (events_incident_idx), action and payload id.
    /// </summary>
    public static async Task<IReadOnlyList<string?>> LastActorsAsync(NpgsqlConnection connection, IReadOnlyList<ActedOn> subjects, CancellationToken cancellationToken)
    {
        var actors = await connection.QueryAsync<string?>(new CommandDefinition("""
            SELECT (SELECT e.actor FROM events e WHERE e.incident_id = w.incident_id AND e.action = w.action AND e.payload->>w.id_key = w.id::text
                     ORDER BY e.seq DESC LIMIT 1)
              FROM unnest(@incidentIds, @actions, @idKeys, @ids) WITH ORDINALITY AS w (incident_id, action, id_key, id, ordinal)
             ORDER BY w.ordinal
            """, new
        {
            incidentIds = subjects.Select(s => s.IncidentId).ToArray(),
            actions = subjects.Select(s => s.Action).ToArray(),
            idKeys = subjects.Select(s => s.IdKey).ToArray(),
            ids = subjects.Select(s => s.Id).ToArray(),
        }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return actors.ToList();
    }

    private static async Task<IReadOnlyList<EventRecord>> ReadAsync(NpgsqlConnection connection, string sql, object parameters, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(long Seq, DateTime At, string Actor, string Action, int? IncidentId, string Payload)>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new EventRecord(r.Seq, DbTime.Utc(r.At), r.Actor, r.Action, r.IncidentId, r.Payload)).ToList();
    }

    private static (StringBuilder Where, DynamicParameters Parameters) Where(EventFilter filter)
    {
        var sql = new StringBuilder(" WHERE true");
        var parameters = new DynamicParameters();
        if (filter.Actor is { } actor)
        {
            // A person's trail includes what was done to their account by no one signed in (failed sign-ins name it in userName).
            sql.Append(" AND (actor = @actor OR lower(payload->>'userName') = lower(@actor))");
            parameters.Add("actor", actor);
        }
        if (filter.ActionNoun is { } noun)
        {
            // LIKE's wildcards in the noun are not wildcards ('%' dropped, '_' escaped).
            sql.Append(" AND action LIKE @actionPrefix");
            parameters.Add("actionPrefix", noun.Replace("%", "", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + ".%");
        }
        if (filter.Action is { } action)
        {
            sql.Append(" AND action = @action");
            parameters.Add("action", action);
        }
        if (filter.IncidentId is { } incidentId)
        {
            sql.Append(" AND incident_id = @incidentId");
            parameters.Add("incidentId", incidentId);
        }
        if (filter.From is { } from)
        {
            sql.Append(" AND at >= @from");
            parameters.Add("from", from);
        }
        if (filter.To is { } to)
        {
            sql.Append(" AND at < @to");
            parameters.Add("to", to);
        }
        if (filter.BeforeSeq is { } before)
        {
            sql.Append(" AND seq < @before");
            parameters.Add("before", before);
        }
        return (sql, parameters);
    }
}
