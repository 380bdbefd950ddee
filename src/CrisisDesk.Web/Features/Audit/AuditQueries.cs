using System.Text;
using CrisisDesk.Core.Review;
using CrisisDesk.Data.Domain;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Audit;

/// <summary>
/// What the audit view filters by; every part optional. Actor matches who acted or the account an event names
/// (<c>userName</c>); an action ending in a dot, or without one, matches the whole noun. Times: from inclusive, to exclusive.
/// </summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, int? IncidentId = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>One page of the audit view, newest first; <see cref="NextBefore"/> continues it.</summary>
public sealed record AuditPage(IReadOnlyList<ReviewEvent> Events, long? NextBefore);

/// <summary>Reads the event log for the audit view: filtered, newest first, paged by sequence number (keyset).</summary>
/// <remarks>
/// Stays on Npgsql: every statement is a range read of the event log (append-only, verified by its hash chain, read at
/// volume), which the rule keeps off EF Core with the posts; it touches no domain table.
/// </remarks>
public sealed class AuditQueries(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    /// <summary>Events matching <paramref name="filter"/> with seq below <paramref name="before"/> (all when null).</summary>
    public async Task<AuditPage> PageAsync(AuditFilter filter, long? before, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var (where, parameters) = Where(filter);
        if (before is { } b)
        {
            where.Append(" AND seq < @before");
            parameters.Add("before", b);
        }
        var events = await ReadAsync(where, parameters, 0, pageSize + 1, cancellationToken);
        return new AuditPage(events.Take(pageSize).ToList(), events.Count > pageSize ? events[pageSize - 1].Seq : null);
    }

    /// <summary>The <paramref name="pageIndex"/>th page (from 0) of events matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    public async Task<(IReadOnlyList<ReviewEvent> Events, int Total)> PageAtAsync(AuditFilter filter, int pageIndex, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var (where, parameters) = Where(filter);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // The event log read at volume (a count over the filter): Npgsql, see the remarks.
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM events" + where, parameters, cancellationToken: cancellationToken));
        var events = await ReadAsync(where, parameters, Math.Max(0, pageIndex) * (long)pageSize, pageSize, cancellationToken);
        return (events, (int)Math.Min(total, int.MaxValue));
    }

    private async Task<List<ReviewEvent>> ReadAsync(StringBuilder where, DynamicParameters parameters, long offset, int limit, CancellationToken cancellationToken)
    {
        parameters.Add("limit", limit);
        parameters.Add("offset", offset);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // The event log's range read (a keyset or offset page): Npgsql, see the remarks.
        var rows = await connection.QueryAsync<(long Seq, DateTime At, string Actor, string Action, int? IncidentId, string Payload)>(new CommandDefinition(
            "SELECT seq, at, actor, action, incident_id AS IncidentId, payload::text AS Payload FROM events" + where + " ORDER BY seq DESC LIMIT @limit OFFSET @offset",
            parameters, cancellationToken: cancellationToken));
        return rows.Select(r => ReviewEvent.Parse(r.Seq, DbTime.Utc(r.At), r.Actor, r.Action, r.IncidentId, r.Payload)).ToList();
    }

    private static (StringBuilder Where, DynamicParameters Parameters) Where(AuditFilter filter)
    {
        var sql = new StringBuilder(" WHERE true");
        var parameters = new DynamicParameters();
        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            // A person's trail includes what was done to their account by no one signed in (failed sign-ins name it in userName).
            sql.Append(" AND (actor = @actor OR lower(payload->>'userName') = lower(@actor))");
            parameters.Add("actor", filter.Actor.Trim());
        }
        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            // "rumour." (or "rumour") matches every rumour action; a full name matches that action only.
            var action = filter.Action.Trim();
            if (action.EndsWith('.') || !action.Contains('.', StringComparison.Ordinal))
            {
                sql.Append(" AND action LIKE @actionPrefix");
                parameters.Add("actionPrefix", action.TrimEnd('.').Replace("%", "", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + ".%");
            }
            else
            {
                sql.Append(" AND action = @action");
                parameters.Add("action", action);
            }
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
        return (sql, parameters);
    }

    /// <summary>The distinct actors and actions, for the filter's suggestions.</summary>
    public async Task<(IReadOnlyList<string> Actors, IReadOnlyList<string> Actions)> FilterChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Distinct values over the whole event log: Npgsql, see the remarks.
        var actors = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT actor FROM events ORDER BY 1 LIMIT 1000", cancellationToken: cancellationToken));
        var actions = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT action FROM events ORDER BY 1", cancellationToken: cancellationToken));
        return (actors.ToList(), actions.ToList());
    }
}
