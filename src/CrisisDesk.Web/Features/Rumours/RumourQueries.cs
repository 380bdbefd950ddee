using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// What the rumour board and the war room read about rumours, through the domain's DbContext (no tracking; the hottest,
/// one rumour by id, as a compiled query). The two reads of linked posts themselves (the posts as the feed shows them,
/// and their spread per minute) stay on Npgsql by the rule in CrisisDeskDbContext's remarks.
/// </summary>
public sealed class RumourQueries(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
{
    private static readonly Func<CrisisDeskDbContext, int, CancellationToken, Task<RumourRow?>> RumourById =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int rumourId, CancellationToken _) => db.Rumours.AsNoTracking().SingleOrDefault(r => r.Id == rumourId));

    /// <summary>A stored rumour as pages and the API show it.</summary>
    internal static RumourState StateOf(RumourRow r) => new()
    {
        Id = r.Id, IncidentId = r.IncidentId, Claim = r.Claim, Severity = r.Severity, Owner = r.Owner, Status = r.Status, Version = r.Version,
        Keywords = r.Keywords, CreatedAt = r.CreatedAt, CreatedBy = r.CreatedBy, UpdatedAt = r.UpdatedAt,
    };

    // A rumour's posts: those linked one by one and every member of a linked story.
    private const string LinkedPostIds = """
        SELECT post_id FROM rumour_posts WHERE rumour_id = @rumourId
        UNION
        SELECT p.id FROM rumour_stories rs JOIN posts p ON p.story_id = rs.story_id WHERE rs.rumour_id = @rumourId
        """;

    public async Task<RumourState?> GetAsync(int rumourId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await RumourById(db, rumourId, cancellationToken) is { } row ? StateOf(row) : null;
    }

    public async Task<IReadOnlyList<RumourCard>> BoardAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One statement: each rumour with its counts (a linked post counted once, whether linked itself or through its story).
        var cards = await db.Rumours.AsNoTracking().Where(r => r.IncidentId == incidentId).OrderBy(r => r.Id)
            .Select(r => new
            {
                Rumour = r,
                Posts = db.RumourPosts.Where(l => l.RumourId == r.Id).Select(l => l.PostId)
                    .Union(from l in db.RumourStories
                           join p in db.PostReferences on (long?)l.StoryId equals p.StoryId
                           where l.RumourId == r.Id
                           select p.Id)
                    .LongCount(),
                Stories = db.RumourStories.LongCount(l => l.RumourId == r.Id),
                Pending = db.RumourSuggestions.LongCount(g => g.RumourId == r.Id && g.State == "pending"),
            })
            .ToListAsync(cancellationToken);
        return cards.Select(c => new RumourCard(StateOf(c.Rumour), c.Posts, c.Stories, c.Pending)).ToList();
    }

    public async Task<IReadOnlyList<RumourNote>> NotesAsync(int rumourId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.RumourNotes.AsNoTracking().Where(n => n.RumourId == rumourId).OrderByDescending(n => n.Id)
            .Select(n => new RumourNote(n.Id, n.At, n.Author, n.FromStatus, n.ToStatus, n.Note)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TriagePost>> LinkedPostsAsync(int rumourId, int limit, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks (the posts as the triage feed reads them).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TriagePost>(new CommandDefinition($"""
            SELECT p.id, p.platform, p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt, p.text, p.url,
                   p.has_media AS HasMedia, p.lang, p.story_id AS StoryId, coalesce(s.size, 0) AS StorySize,
                   coalesce(t.flagged_at IS NOT NULL, false) AS Flagged, coalesce(t.reviewed_at IS NOT NULL, false) AS Reviewed, NULL AS Headline,
                   p.edited_at AS EditedAt, p.deleted_at AS DeletedAt
              FROM posts p LEFT JOIN stories s ON s.id = p.story_id LEFT JOIN post_triage t ON t.post_id = p.id
             WHERE p.id IN ({LinkedPostIds})
             ORDER BY p.created_at DESC, p.id DESC LIMIT @limit
            """, new { rumourId, limit }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    public async Task<IReadOnlyList<StoryRow>> LinkedStoriesAsync(int rumourId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (from link in db.RumourStories.AsNoTracking()
                          join story in db.Stories.AsNoTracking() on link.StoryId equals story.Id
                          where link.RumourId == rumourId
                          orderby story.Size descending
                          select new { story.Id, story.Size, story.FirstPostAt, story.LatestPostAt, story.GrowthPerMinute, story.SampleText })
            .ToListAsync(cancellationToken);
        return rows.Select(s => new StoryRow(s.Id, s.Size, s.FirstPostAt, s.LatestPostAt, s.GrowthPerMinute, s.SampleText)).ToList();
    }

    /// <summary>Linked posts per minute of event time, every minute from the first to the last (zeros included).</summary>
    public async Task<IReadOnlyList<SpreadMinute>> SpreadAsync(int rumourId, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume (counts per minute), Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SpreadMinute>(new CommandDefinition($"""
            WITH linked AS (SELECT date_trunc('minute', created_at) AS minute FROM posts WHERE id IN ({LinkedPostIds})),
                 span AS (SELECT min(minute) AS first, max(minute) AS last FROM linked)
            SELECT m AS Minute, (SELECT count(*) FROM linked WHERE linked.minute = m)::int AS Count
              FROM span, generate_series(greatest(span.first, span.last - interval '239 minutes'), span.last, interval '1 minute') AS m
             WHERE span.first IS NOT NULL
             ORDER BY m
            """, new { rumourId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    public async Task<IReadOnlyList<RumourSuggestion>> PendingSuggestionsAsync(int rumourId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await (from g in db.RumourSuggestions.AsNoTracking()
                      join p in db.PostReferences on g.PostId equals p.Id
                      join s in db.Stories.AsNoTracking() on g.StoryId equals s.Id
                      where g.RumourId == rumourId && g.State == "pending"
                      orderby g.Score descending, s.Size descending, g.Id
                      select new RumourSuggestion(g.Id, g.RumourId, g.StoryId, g.PostId, g.Score, g.Reason, p.Text, s.Size, g.CreatedAt))
            .Take(50).ToListAsync(cancellationToken);
    }

    internal sealed record SuggestionOwner(int RumourId, int IncidentId);

    internal async Task<SuggestionOwner?> SuggestionOwnerAsync(long suggestionId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await (from g in db.RumourSuggestions.AsNoTracking()
                      join r in db.Rumours.AsNoTracking() on g.RumourId equals r.Id
                      where g.Id == suggestionId
                      select new SuggestionOwner(r.Id, r.IncidentId)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Each rumour's latest rebuttal in the incident, by rumour id.</summary>
    public async Task<IReadOnlyDictionary<int, RumourRebuttal>> RebuttalsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var latest = await db.Rebuttals.AsNoTracking().Where(r => r.IncidentId == incidentId && r.RumourId != null)
            .GroupBy(r => r.RumourId!.Value)
            .Select(g => g.OrderByDescending(r => r.Id).Select(r => new RumourRebuttal(r.Id, g.Key, r.Title, r.State, r.Version)).First())
            .ToListAsync(cancellationToken);
        return latest.ToDictionary(r => r.RumourId);
    }

    /// <summary>Rumours of the incident, newest first, for "link to an existing rumour".</summary>
    public async Task<IReadOnlyList<RumourState>> OpenRumoursAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Rumours.AsNoTracking().Where(r => r.IncidentId == incidentId && r.Status != "Resolved").OrderByDescending(r => r.Id)
            .ToListAsync(cancellationToken)).Select(StateOf).ToList();
    }
}
