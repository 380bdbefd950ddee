using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Data.Domain;

// Rumours' tables are mapped in CrisisDeskDbContext (rumours, rumour_notes, rumour_posts, rumour_stories,
// rumour_suggestions); what this area adds is the suggester's batch insert.

/// <summary>A story the suggester proposes for a rumour, through the post that matched.</summary>
public readonly record struct ProposedRumourSuggestion(int RumourId, long StoryId, long PostId, double Score, string Reason);

/// <summary>
/// The rumour suggester's batch as one <c>INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING</c> on the DbContext's
/// connection. Through the change tracker a story proposed meanwhile (a second instance, a rescan) would fail the whole
/// batch on the unique key; here it is skipped, as is a story already linked to the rumour, in the one statement.
/// </summary>
public static class RumourSuggestionBatch
{
    private const string Insert = """
        INSERT INTO rumour_suggestions (rumour_id, story_id, post_id, score, reason)
        SELECT s.rumour_id, s.story_id, s.post_id, s.score, s.reason
          FROM unnest(@rumourIds, @storyIds, @postIds, @scores, @reasons) AS s (rumour_id, story_id, post_id, score, reason)
         WHERE NOT EXISTS (SELECT 1 FROM rumour_stories l WHERE l.rumour_id = s.rumour_id AND l.story_id = s.story_id)
        ON CONFLICT (rumour_id, story_id) DO NOTHING
        """;

    /// <summary>Adds the suggestions not proposed nor linked yet; returns how many were added.</summary>
    public static Task<int> AddNewAsync(CrisisDeskDbContext db, IReadOnlyCollection<ProposedRumourSuggestion> suggestions, CancellationToken cancellationToken = default) =>
        db.Database.ExecuteSqlRawAsync(Insert,
            [
                new NpgsqlParameter("rumourIds", suggestions.Select(s => s.RumourId).ToArray()),
                new NpgsqlParameter("storyIds", suggestions.Select(s => s.StoryId).ToArray()),
                new NpgsqlParameter("postIds", suggestions.Select(s => s.PostId).ToArray()),
                new NpgsqlParameter("scores", suggestions.Select(s => s.Score).ToArray()),
                new NpgsqlParameter("reasons", suggestions.Select(s => s.Reason).ToArray()),
            ],
            cancellationToken);
}
