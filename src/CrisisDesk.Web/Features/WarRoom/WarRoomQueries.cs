using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A post as the feed shows it; edited and deleted as it stood when it was read (or as of the replay's time).</summary>
public sealed record FeedPost(long Id, string Platform, string? AuthorHandle, string? AuthorName, DateTime CreatedAt, string Text, string? Url, bool HasMedia,
    DateTime? EditedAt = null, DateTime? DeletedAt = null);

/// <summary>
/// A plain feed post (replay shows posts without triage state) in the shape the post card renders. A static extension
/// (C# 14) so that Triage, which the war room uses, does not depend on the war room in turn.
/// </summary>
public static class FeedPostCards
{
    extension(TriagePost)
    {
        public static TriagePost FromFeed(FeedPost post) =>
            new(post.Id, post.Platform, post.AuthorHandle, post.AuthorName, post.CreatedAt, post.Text, post.Url, post.HasMedia, null, null, 0, false, false, null,
                post.EditedAt, post.DeletedAt);
    }
}

/// <summary>Posts in one minute of event time.</summary>
public sealed record VolumeChartMinute(DateTime Minute, int Count)
{
    public string Label => Minute.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The incident as the war room's header shows it.</summary>
public sealed record WarRoomIncident
{
    public int Id { get; init; }
    public string Name { get; init; } = "";
    public string[] Keywords { get; init; } = [];
    public bool IsDrill { get; init; }

    /// <summary>A drill, or an incident whose every source replays a recording: it runs on <see cref="IncidentClock"/>'s event time.</summary>
    public bool OnEventTime { get; init; }

    /// <summary>An area was drawn when the incident was opened: the feed can be narrowed to it.</summary>
    public bool HasArea { get; init; }
}

/// <summary>
/// What the war room reads; one short-lived connection (or DbContext) per query, never one per circuit. The incident's
/// row through the domain's DbContext; the feed, its head and its volume read posts at volume and stay on Npgsql.
/// </summary>
public sealed class WarRoomQueries(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
{
    public async Task<WarRoomIncident?> IncidentAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        const string replay = CrisisDesk.Ingest.Replay.ReplaySourceFactory.KindName;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Incidents.AsNoTracking()
            .Where(i => i.Id == incidentId)
            .Select(i => new WarRoomIncident
            {
                Id = i.Id,
                Name = i.Name,
                Keywords = i.Keywords,
                IsDrill = i.IsDrill,
                HasArea = i.AreaSouth != null,
                // Every source, removed ones included, as the SQL this replaced counted them.
                OnEventTime = i.IsDrill || (db.Sources.Any(s => s.IncidentId == i.Id && s.Kind == replay)
                                            && !db.Sources.Any(s => s.IncidentId == i.Id && s.Kind != replay)),
            })
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The event time of the incident's newest post (what <see cref="IncidentClock"/> runs on in a drill), or null before the first.</summary>
    public async Task<DateTime?> NewestEventTimeAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT max(created_at) FROM posts WHERE incident_id = @incidentId", new { incidentId }, cancellationToken: cancellationToken));
    }

    /// <summary>Minutes of event time the volume chart shows, ending at the latest post.</summary>
    public const int VolumeMinutes = 60;

    public async Task<(long Count, long MaxId)> FeedHeadAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(long, long)>(
            "SELECT count(*), coalesce(max(id), 0) FROM posts WHERE incident_id = @incidentId", new { incidentId });
    }

    /// <summary>
    /// A window of the feed, newest first, as it stood when the newest post shown was <paramref name="anchorId"/>:
    /// posts that arrive later do not shift what the reader is looking at until the view moves its anchor.
    /// </summary>
    public async Task<IReadOnlyList<FeedPost>> FeedPageAsync(int incidentId, long anchorId, int offset, int count, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<FeedPost>(new CommandDefinition("""
            SELECT id, platform, author_handle AS AuthorHandle, author_name AS AuthorName, created_at AS CreatedAt, text, url, has_media AS HasMedia,
                   edited_at AS EditedAt, deleted_at AS DeletedAt
              FROM posts
             WHERE incident_id = @incidentId AND id <= @anchorId
             ORDER BY id DESC
            OFFSET @offset LIMIT @count
            """, new { incidentId, anchorId, offset, count }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Posts per minute of event time over the last <see cref="VolumeMinutes"/> minutes up to the latest post.</summary>
    public async Task<VolumeSeries> VolumeAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One statement, one snapshot: the newest id is the one the counts stand at.
        var rows = (await connection.QueryAsync<(DateTime Minute, int Count, long UpToId)>(new CommandDefinition("""
            WITH latest AS (SELECT max(created_at) AS at, max(id) AS id FROM posts WHERE incident_id = @incidentId)
            SELECT date_trunc('minute', p.created_at), count(*)::int, min(latest.id)
              FROM posts p, latest
             WHERE p.incident_id = @incidentId AND p.created_at > latest.at - make_interval(mins => @minutes)
             GROUP BY 1 ORDER BY 1
            """, new { incidentId, minutes = VolumeMinutes }, cancellationToken: cancellationToken))).ToList();
        return new VolumeSeries(rows.Select(r => new VolumeChartMinute(r.Minute, r.Count)), rows.Count == 0 ? 0 : rows[0].UpToId);
    }
}
