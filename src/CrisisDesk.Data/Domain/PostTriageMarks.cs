using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Data.Domain;

/// <summary>The two marks a post can carry in triage.</summary>
public enum PostMark
{
    Flagged,
    Reviewed,
}

/// <summary>
/// A triage mark on a post as one <c>INSERT … ON CONFLICT DO UPDATE</c>, run on the DbContext's connection and in its
/// current transaction (the command's). Through EF's change tracker the same change was a read and then an insert
/// inside a savepoint (to survive a concurrent insert), about 1.5× the time of this one statement (bench/README.md,
/// "Commands"). Of two people marking the same post at once exactly one changes the row.
/// </summary>
public static class PostTriageMarks
{
    private const string Flag = """
        INSERT INTO post_triage (post_id, incident_id, flagged_at, flagged_by) VALUES (@postId, @incidentId, @at, @actor)
        ON CONFLICT (post_id) DO UPDATE SET flagged_at = EXCLUDED.flagged_at, flagged_by = EXCLUDED.flagged_by WHERE post_triage.flagged_at IS NULL
        """;

    private const string Review = """
        INSERT INTO post_triage (post_id, incident_id, reviewed_at, reviewed_by) VALUES (@postId, @incidentId, @at, @actor)
        ON CONFLICT (post_id) DO UPDATE SET reviewed_at = EXCLUDED.reviewed_at, reviewed_by = EXCLUDED.reviewed_by WHERE post_triage.reviewed_at IS NULL
        """;

    /// <summary>Sets the mark unless it is set already; true when this call set it.</summary>
    public static async Task<bool> MarkAsync(CrisisDeskDbContext db, long postId, int incidentId, PostMark mark, string actor, DateTime at, CancellationToken cancellationToken) =>
        await db.Database.ExecuteSqlRawAsync(mark == PostMark.Flagged ? Flag : Review,
            [new NpgsqlParameter("postId", postId), new NpgsqlParameter("incidentId", incidentId), new NpgsqlParameter("at", at), new NpgsqlParameter("actor", actor)],
            cancellationToken) > 0;
}
