using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Triage;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// What the rumour board and the war room read about rumours, through the domain's DbContext (no tracking; the hottest,
/// one rumour by id, as a compiled query). The spread of the linked posts per minute is raw SQL in
/// <see cref="RumourSpread"/> (LINQ has no <c>generate_series</c>).
/// </summary>
public sealed class RumourQueries(IDbContextFactory<CrisisDeskDbContext> contexts)
{
    private static readonly Func<CrisisDeskDbContext, int, CancellationToken, Task<RumourRow?>> RumourById =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int rumourId, CancellationToken _) => db.Rumours.AsNoTracking().SingleOrDefault(r => r.Id == rumourId));

    /// <summary>A stored rumour as pages and the API show it.</summary>
    internal static RumourState StateOf(RumourRow r) => new()
    {
        Id = r.Id, IncidentId = r.IncidentId, Claim = r.Claim, Severity = r.Severity, Owner = r.Owner, Status = r.Status, Version = r.Version,
        Keywords = r.Keywords, CreatedAt = r.CreatedAt, CreatedBy = r.CreatedBy, UpdatedAt = r.UpdatedAt,
    };

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

    /// <summary>The rumour's posts as the triage feed shows them (with their story's size and their marks), newest first.</summary>
    public async Task<IReadOnlyList<TriagePost>> LinkedPostsAsync(int rumourId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A rumour's posts: those linked one by one and every member of a linked story.
        var linked = db.RumourPosts.Where(l => l.RumourId == rumourId).Select(l => l.PostId)
            .Union(from l in db.RumourStories
                   join p in db.PostReferences on (long?)l.StoryId equals p.StoryId
                   where l.RumourId == rumourId
                   select p.Id);
        return await (from p in db.PostReferences
                      where linked.Contains(p.Id)
                      join s in db.Stories.AsNoTracking() on p.StoryId equals (long?)s.Id into stories
                      from s in stories.DefaultIfEmpty()
                      join t in db.PostTriage.AsNoTracking() on p.Id equals t.PostId into marks
                      from t in marks.DefaultIfEmpty()
                      orderby p.CreatedAt descending, p.Id descending
                      select new TriagePost(p.Id, p.Platform, p.AuthorHandle, p.AuthorName, p.CreatedAt, p.Text, p.Url, p.HasMedia, p.Lang, p.StoryId,
                          s == null ? 0 : s.Size, t != null && t.FlaggedAt != null, t != null && t.ReviewedAt != null, null, p.EditedAt, p.DeletedAt))
            .Take(limit).ToListAsync(cancellationToken);
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
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await RumourSpread.PerMinuteAsync(db, rumourId, cancellationToken)).Select(m => new SpreadMinute(m.Minute, m.Count)).ToList();
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
