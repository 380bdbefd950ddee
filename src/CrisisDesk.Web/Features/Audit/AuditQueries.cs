using CrisisDesk.Core.Review;
using CrisisDesk.Data.Events;
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
/// Every read is of the event log (append-only, verified by its hash chain, read at volume), through
/// <see cref="EventLogReader"/> in CrisisDesk.Data; this class says what the view's filter means and pages it.
/// </remarks>
public sealed class AuditQueries(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    /// <summary>Events matching <paramref name="filter"/> with seq below <paramref name="before"/> (all when null).</summary>
    public async Task<AuditPage> PageAsync(AuditFilter filter, long? before, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var events = Parse(await EventLogReader.NewestFirstAsync(connection, Matching(filter) with { BeforeSeq = before }, 0, pageSize + 1, cancellationToken));
        return new AuditPage(events.Take(pageSize).ToList(), events.Count > pageSize ? events[pageSize - 1].Seq : null);
    }

    /// <summary>The <paramref name="pageIndex"/>th page (from 0) of events matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    public async Task<(IReadOnlyList<ReviewEvent> Events, int Total)> PageAtAsync(AuditFilter filter, int pageIndex, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var matching = Matching(filter);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var total = await EventLogReader.CountAsync(connection, matching, cancellationToken);
        var events = Parse(await EventLogReader.NewestFirstAsync(connection, matching, Math.Max(0, pageIndex) * (long)pageSize, pageSize, cancellationToken));
        return (events, (int)Math.Min(total, int.MaxValue));
    }

    private static List<ReviewEvent> Parse(IReadOnlyList<EventRecord> events) =>
        events.Select(e => ReviewEvent.Parse(e.Seq, e.At, e.Actor, e.Action, e.IncidentId, e.PayloadJson)).ToList();

    /// <summary>The view's filter as the log's: blank parts dropped, and an action ending in a dot, or without one, read as the whole noun.</summary>
    private static EventFilter Matching(AuditFilter filter)
    {
        string? action = null, noun = null;
        if (!string.IsNullOrWhiteSpace(filter.Action))
        {
            // "rumour." (or "rumour") matches every rumour action; a full name matches that action only.
            var given = filter.Action.Trim();
            if (given.EndsWith('.') || !given.Contains('.', StringComparison.Ordinal))
                noun = given.TrimEnd('.');
            else
                action = given;
        }
        return new EventFilter(
            Actor: string.IsNullOrWhiteSpace(filter.Actor) ? null : filter.Actor.Trim(),
            Action: action,
            ActionNoun: noun,
            IncidentId: filter.IncidentId,
            From: filter.From,
            To: filter.To);
    }

    /// <summary>The distinct actors and actions, for the filter's suggestions.</summary>
    public async Task<(IReadOnlyList<string> Actors, IReadOnlyList<string> Actions)> FilterChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EventLogReader.DistinctActorsAndActionsAsync(connection, cancellationToken);
    }
}
