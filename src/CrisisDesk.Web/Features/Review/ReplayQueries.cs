using CrisisDesk.Core.Review;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.WarRoom;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary>An incident's whole timeline as replay needs it: its span, arrivals per minute and every event.</summary>
public sealed record ReplayTimeline(int IncidentId, string Name, bool IsDrill, bool IsLive, DateTimeOffset Start, DateTimeOffset End,
    VolumeHistogram Volume, IReadOnlyList<ReviewEvent> Events);

/// <summary>
/// Reads an incident "as of T". Posts count by arrival (<c>received_at</c>: when the war room could first see them),
/// events by when they were written; both read through indexes on those times, so a seek costs the same anywhere
/// in an incident of any length. One short-lived connection per query. The incident itself is read through EF Core;
/// posts (the seek) stay on Npgsql by the rule in <see cref="CrisisDeskDbContext"/>'s remarks, and the event log is
/// read through <see cref="EventLogReader"/> on the same connection.
/// </summary>
public sealed class ReplayQueries(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
{
    /// <summary>What a post looked like once retention erased it.</summary>
    public const string ErasedText = "(text erased after the retention period)";

    public async Task<ReplayTimeline?> TimelineAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        IncidentSpan? incident;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // DateTime.UtcNow becomes the database's now(): the live end is the server's time, as the posts' times are.
            incident = await db.Incidents.AsNoTracking().Where(i => i.Id == incidentId)
                .Select(i => new IncidentSpan(i.Name, i.IsDrill, i.OpenedAt, i.ClosedAt, DateTime.UtcNow))
                .SingleOrDefaultAsync(cancellationToken);
        }
        if (incident is null)
            return null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var isLive = incident.ClosedAt is null;
        var now = DbTime.Utc(incident.Now);
        // A live incident's histogram covers whole minutes up to now; the minute in progress is counted at each seek.
        var coveredUntil = isLive ? VolumeHistogram.MinuteOf(now) : DateTimeOffset.MaxValue;
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        var minutes = await connection.QueryAsync<(DateTime Minute, int Count)>(new CommandDefinition("""
            SELECT date_trunc('minute', received_at) AS minute, count(*)::int
              FROM posts WHERE incident_id = @incidentId AND received_at < @coveredUntil
             GROUP BY 1 ORDER BY 1
            """, new { incidentId, coveredUntil = isLive ? coveredUntil : DateTimeOffset.MaxValue.AddDays(-1) }, cancellationToken: cancellationToken));
        var volume = new VolumeHistogram(minutes.Select(m => new VolumeMinute(DbTime.Utc(m.Minute), m.Count)), coveredUntil);
        var events = await EventsAsync(connection, incidentId, cancellationToken);

        // hot path: posts at volume (first and last arrival), Npgsql by the rule in CrisisDeskDbContext's remarks.
        var firstPost = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT min(received_at) FROM posts WHERE incident_id = @incidentId", new { incidentId }, cancellationToken: cancellationToken));
        var lastPost = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT max(received_at) FROM posts WHERE incident_id = @incidentId", new { incidentId }, cancellationToken: cancellationToken));
        var starts = new List<DateTimeOffset> { DbTime.Utc(incident.OpenedAt) };
        if (firstPost is { } fp)
            starts.Add(DbTime.Utc(fp));
        if (events.Count > 0)
            starts.Add(events[0].At);
        var ends = new List<DateTimeOffset> { starts.Min() };
        if (lastPost is { } lp)
            ends.Add(DbTime.Utc(lp));
        if (events.Count > 0)
            ends.Add(events[^1].At);
        if (incident.ClosedAt is { } closed)
            ends.Add(DbTime.Utc(closed));
        if (isLive)
            ends.Add(now);
        return new ReplayTimeline(incidentId, incident.Name, incident.IsDrill, isLive, starts.Min(), ends.Max(), volume, events);
    }

    /// <summary>Every event of the incident, in log order.</summary>
    public async Task<IReadOnlyList<ReviewEvent>> EventsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EventsAsync(connection, incidentId, cancellationToken);
    }

    private static async Task<IReadOnlyList<ReviewEvent>> EventsAsync(NpgsqlConnection connection, int incidentId, CancellationToken cancellationToken) =>
        (await EventLogReader.OfIncidentAsync(connection, incidentId, cancellationToken))
        .Select(e => ReviewEvent.Parse(e.Seq, e.At, e.Actor, e.Action, e.IncidentId, e.PayloadJson)).ToList();

    /// <summary>How many posts had arrived by <paramref name="asOf"/> (inclusive): the histogram's whole minutes plus a count of the rest.</summary>
    public async Task<long> CountAsOfAsync(int incidentId, VolumeHistogram volume, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var boundary = VolumeHistogram.MinuteOf(asOf);
        if (boundary > volume.CoveredUntil)
            boundary = volume.CoveredUntil;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // hot path: posts at volume (the replay's seek), Npgsql by the rule in CrisisDeskDbContext's remarks.
        var rest = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM posts WHERE incident_id = @incidentId AND received_at >= @boundary AND received_at <= @asOf",
            new { incidentId, boundary, asOf }, cancellationToken: cancellationToken));
        return volume.CountBefore(boundary) + rest;
    }

    /// <summary>
    /// A window of the posts received by <paramref name="asOf"/>, newest first, each as it stood then: the latest of its
    /// versions received by then (an edit received later is not yet shown), and deleted only if that was known by then.
    /// </summary>
    public async Task<IReadOnlyList<FeedPost>> PostsAsOfAsync(int incidentId, DateTimeOffset asOf, int offset, int count, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // hot path: posts at volume (the replay's seek), Npgsql by the rule in CrisisDeskDbContext's remarks.
        // Only an edited post has versions, so the lateral lookup runs for those alone.
        var rows = await connection.QueryAsync<FeedPost>(new CommandDefinition($"""
            SELECT p.id, p.platform,
                   p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt,
                   CASE WHEN p.erased_at IS NULL THEN coalesce(v.text, p.text) ELSE '{ErasedText}' END AS Text,
                   p.url, p.has_media AS HasMedia,
                   CASE WHEN v.original THEN NULL ELSE coalesce(v.version_at, p.edited_at) END AS EditedAt,
                   CASE WHEN p.deleted_at <= @asOf THEN p.deleted_at END AS DeletedAt
              FROM posts p
              LEFT JOIN LATERAL (
                    SELECT v.text, v.original, v.version_at FROM post_versions v
                     WHERE p.edited_at IS NOT NULL AND v.post_id = p.id AND v.received_at <= @asOf
                     ORDER BY v.original, v.version_at DESC, v.received_at DESC, v.version DESC LIMIT 1) v ON true
             WHERE p.incident_id = @incidentId AND p.received_at <= @asOf
             ORDER BY p.received_at DESC, p.id DESC
            OFFSET @offset LIMIT @count
            """, new { incidentId, asOf, offset, count }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>When each of <paramref name="postIds"/> arrived (those that exist in the incident).</summary>
    public async Task<IReadOnlyDictionary<long, DateTimeOffset>> ArrivalsAsync(int incidentId, IReadOnlyCollection<long> postIds, CancellationToken cancellationToken = default)
    {
        if (postIds.Count == 0)
            return new Dictionary<long, DateTimeOffset>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        var rows = await connection.QueryAsync<(long Id, DateTime ReceivedAt)>(new CommandDefinition(
            "SELECT id, received_at FROM posts WHERE incident_id = @incidentId AND id = ANY(@ids)",
            new { incidentId, ids = postIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => DbTime.Utc(r.ReceivedAt));
    }

    /// <summary>What the timeline needs of its incident, with the database's time of reading.</summary>
    private sealed record IncidentSpan(string Name, bool IsDrill, DateTime OpenedAt, DateTime? ClosedAt, DateTime Now);
}
