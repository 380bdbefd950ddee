using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>A delivery row as the dispatcher claims it, with the content it carries.</summary>
public sealed record ClaimedDelivery(
    long Id, int IncidentId, string Channel, Guid IdempotencyKey, int Attempts, DateTime CreatedAt,
    int? AlertId, string? AlertIdentifier, string? CapXml, int? RebuttalId, string? Variant, bool IsDrill, long? NotificationId = null);

/// <summary>
/// Deliveries as a dispatcher or a person takes hold of them, in raw SQL because LINQ has no locking clause: the
/// dispatchers' lease claim (<c>FOR UPDATE SKIP LOCKED</c>) and the row lock (<c>FOR UPDATE</c>) a change to one
/// delivery reads it under. Both run on the DbContext's connection, the lock in its current transaction.
/// </summary>
public static class DeliveryClaims
{
    /// <summary>Takes up to <paramref name="max"/> due deliveries for <paramref name="lease"/>; a dispatcher that dies lets the lease run out.</summary>
    /// <remarks>
    /// Several nodes' dispatchers claim from one table, and what keeps them from sending one delivery twice is
    /// <c>FOR UPDATE SKIP LOCKED</c> inside one <c>UPDATE … RETURNING</c> (a row another node is claiming is skipped, not
    /// waited for, and the lease is set in the same statement); a claim split into a read and a write would lose exactly
    /// that. The joins bring the content in the same round trip. Columns are aliased to <see cref="ClaimedDelivery"/>'s
    /// names, which is how SqlQuery binds them.
    /// </remarks>
    public static async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(CrisisDeskDbContext db, int max, TimeSpan lease, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<ClaimedDelivery>($"""
            WITH claimed AS (
                UPDATE deliveries d SET lease_until = now() + {lease}, attempts = attempts + 1, updated_at = now()
                 WHERE d.id IN (SELECT id FROM deliveries
                                 WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
                                 ORDER BY id FOR UPDATE SKIP LOCKED LIMIT {max})
                RETURNING d.*)
            SELECT c.id AS "Id", c.incident_id AS "IncidentId", c.channel AS "Channel", c.idempotency_key AS "IdempotencyKey",
                   c.attempts AS "Attempts", c.created_at AS "CreatedAt", c.alert_id AS "AlertId", a.identifier AS "AlertIdentifier",
                   a.cap_xml AS "CapXml", c.rebuttal_id AS "RebuttalId",
                   v.variants ->> (CASE c.channel WHEN 'x' THEN 'X' WHEN 'mastodon' THEN 'Mastodon' WHEN 'bluesky' THEN 'Bluesky' ELSE c.channel END) AS "Variant",
                   i.is_drill AS "IsDrill", c.notification_id AS "NotificationId"
              FROM claimed c
              JOIN incidents i ON i.id = c.incident_id
              LEFT JOIN alerts a ON a.id = c.alert_id
              LEFT JOIN rebuttals r ON r.id = c.rebuttal_id
              LEFT JOIN rebuttal_versions v ON v.rebuttal_id = r.id AND v.version = r.version
             ORDER BY c.id
            """).ToListAsync(cancellationToken);

    /// <summary>
    /// The delivery (untracked), locked <c>FOR UPDATE</c> until the current transaction ends; null when there is none.
    /// Deliveries carry no xmin token and the dispatcher closes a row from another connection than a person's retry or
    /// abandon: the lock makes a status check and the change that follows it one step.
    /// </summary>
    public static Task<DeliveryRow?> LockAsync(CrisisDeskDbContext db, long deliveryId, CancellationToken cancellationToken) =>
        db.Deliveries.FromSql($"SELECT * FROM deliveries WHERE id = {deliveryId} FOR UPDATE").AsNoTracking().SingleOrDefaultAsync(cancellationToken);
}
