using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// Writes a person's notification unless they have one with its dedupe key, as one <c>INSERT … ON CONFLICT
/// (user_id, dedupe_key) DO NOTHING</c> on the DbContext's connection, in its current transaction (the notifier's batch,
/// an escalation step). Raw SQL on purpose: it is what makes a happening raised twice at once (two nodes, a restart)
/// tell each person once without failing either transaction; an insert through the change tracker would meet the
/// unique index with an error that aborts the caller's whole transaction.
/// </summary>
public static class NotificationDedupe
{
    /// <summary>
    /// Inserts <paramref name="notification"/> (its id, times and acknowledgement are the database's) and returns its
    /// id, or null when the person was told of this already. One not <paramref name="inApp"/> (an email or SMS alone)
    /// is born read: only the in-app inbox counts unread.
    /// </summary>
    public static async Task<long?> InsertOnceAsync(CrisisDeskDbContext db, NotificationRow notification, bool inApp, CancellationToken cancellationToken)
    {
        var n = notification;
        var ids = await db.Database.SqlQuery<long>($"""
            INSERT INTO notifications (user_id, incident_id, kind, title, body, link, urgent, dedupe_key, read_at, escalation_step)
            VALUES ({n.UserId}, {n.IncidentId}, {n.Kind}, {n.Title}, {n.Body}, {n.Link}, {n.Urgent}, {n.DedupeKey},
                    CASE WHEN {inApp} THEN NULL ELSE now() END, {n.EscalationStep})
            ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        return ids is [var id] ? id : null;
    }
}
