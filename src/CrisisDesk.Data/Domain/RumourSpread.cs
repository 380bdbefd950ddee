using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>How many of a rumour's linked posts were written in one minute (event time).</summary>
public sealed record RumourSpreadMinute(DateTime Minute, int Count);

/// <summary>
/// A rumour's spread: its linked posts (those linked one by one and every member of a linked story) counted per minute
/// of event time, every minute from the first to the last (at most the last 240), zeros included. Raw SQL on the
/// DbContext's connection because LINQ cannot say it: the minutes come from <c>generate_series</c> over
/// <c>date_trunc</c>, and the posts (a linked story can hold thousands) are counted where they are, never read out.
/// </summary>
public static class RumourSpread
{
    public static async Task<IReadOnlyList<RumourSpreadMinute>> PerMinuteAsync(CrisisDeskDbContext db, int rumourId, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<RumourSpreadMinute>($"""
            WITH linked AS (SELECT date_trunc('minute', created_at) AS minute FROM posts
                             WHERE id IN (SELECT post_id FROM rumour_posts WHERE rumour_id = {rumourId}
                                          UNION
                                          SELECT p.id FROM rumour_stories rs JOIN posts p ON p.story_id = rs.story_id WHERE rs.rumour_id = {rumourId})),
                 span AS (SELECT min(minute) AS first, max(minute) AS last FROM linked)
            SELECT m AS "Minute", (SELECT count(*) FROM linked WHERE linked.minute = m)::int AS "Count"
              FROM span, generate_series(greatest(span.first, span.last - interval '239 minutes'), span.last, interval '1 minute') AS m
             WHERE span.first IS NOT NULL
             ORDER BY m
            """).ToListAsync(cancellationToken);
}
