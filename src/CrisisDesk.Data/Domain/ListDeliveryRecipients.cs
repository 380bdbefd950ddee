using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>One recipient of a list delivery as a dispatcher claims it.</summary>
public sealed record ClaimedListRecipient(long DeliveryId, int Position, string Name, string Address, Guid IdempotencyKey, int Attempts);

/// <summary>
/// The recipients of a list delivery (<c>delivery_recipients</c>) where EF Core cannot say the statement: the list
/// copied into the delivery in one <c>INSERT … SELECT</c>, and each recipient claimed under a lease with
/// <c>FOR UPDATE SKIP LOCKED</c>. Both run on the DbContext's connection, in its current transaction if it has one.
/// </summary>
public static class ListDeliveryRecipients
{
    /// <summary>Copies the list's recipients into the delivery, numbered in the list's order; returns how many.</summary>
    /// <remarks>
    /// One statement on purpose: the list (thousands of people) is copied inside the database. EF Core has no set-based
    /// insert, and reading the list out to add it back row by row would carry every address through the app twice
    /// inside the approval's transaction.
    /// </remarks>
    public static Task<int> CopyListAsync(CrisisDeskDbContext db, long deliveryId, int listId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO delivery_recipients (delivery_id, position, name, address, idempotency_key)
            SELECT {deliveryId}, row_number() OVER (ORDER BY r.id), r.name, r.address, gen_random_uuid() FROM list_recipients r WHERE r.list_id = {listId}
            """, cancellationToken);

    /// <summary>
    /// Claims the delivery's next recipient to send to, leaving out the positions in <paramref name="triedNow"/>, for
    /// <paramref name="lease"/>; null when none is left.
    /// </summary>
    /// <remarks>
    /// Several nodes may dispatch one list (a lease ran out), and what keeps them from sending to one person twice is
    /// <c>FOR UPDATE SKIP LOCKED</c> inside one <c>UPDATE … RETURNING</c> (a recipient another node is claiming is
    /// skipped, not waited for; the lease is set in the same statement). Not composed (an UPDATE cannot be a subquery):
    /// read as a list.
    /// </remarks>
    public static async Task<ClaimedListRecipient?> ClaimNextAsync(CrisisDeskDbContext db, long deliveryId, TimeSpan lease, IReadOnlyCollection<int> triedNow,
        CancellationToken cancellationToken)
    {
        var claimed = await db.Database.SqlQuery<ClaimedListRecipient>($"""
            UPDATE delivery_recipients SET status = 'sending', attempts = attempts + 1, lease_until = now() + {lease}
             WHERE (delivery_id, position) = (
                   SELECT delivery_id, position FROM delivery_recipients
                    WHERE delivery_id = {deliveryId} AND NOT position = ANY({triedNow.ToArray()})
                      AND (status IN ('pending', 'failed') OR (status = 'sending' AND lease_until < now()))
                    ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING delivery_id AS "DeliveryId", position AS "Position", name AS "Name", address AS "Address",
                      idempotency_key AS "IdempotencyKey", attempts AS "Attempts"
            """).ToListAsync(cancellationToken);
        return claimed.SingleOrDefault();
    }
}
