using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>A notification as its acknowledgement found it, locked.</summary>
public sealed record LockedNotification(int IncidentId, string Kind, bool Acknowledged);

/// <summary>
/// The Notifications area's locking reads, each run on the DbContext's connection in its current transaction (the
/// command's, or the notifier's batch), which holds the lock until it ends. Raw SQL because LINQ has no
/// <c>FOR UPDATE</c> / <c>FOR NO KEY UPDATE</c>; each composes with EF Core's projection, so its row is still read
/// through the mapping.
/// </summary>
public static class NotificationLocks
{
    /// <summary>
    /// How far the notifier has read the event log, its row locked: two nodes' notifiers take turns, and the second
    /// reads on from where the first committed.
    /// </summary>
    public static Task<long> LockNotifierCursorAsync(CrisisDeskDbContext db, CancellationToken cancellationToken) =>
        db.NotifierCursor.FromSql($"SELECT * FROM notifier_cursor FOR UPDATE").Select(c => c.LastSeq).SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// The id of the active person <paramref name="userName"/> (compared as users_user_name_key compares), their row
    /// locked <c>FOR NO KEY UPDATE</c> (foreign keys to it are not blocked): two saves of one person's notification
    /// settings at once queue here, so the second updates what the first inserted instead of failing on the key.
    /// Null when there is no such active person.
    /// </summary>
    public static Task<int?> LockActiveUserAsync(CrisisDeskDbContext db, string userName, CancellationToken cancellationToken) =>
        db.Users.FromSql($"SELECT * FROM users WHERE lower(user_name) = lower({userName}) AND NOT disabled FOR NO KEY UPDATE")
            .Select(u => (int?)u.Id).SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// The ids of <paramref name="userName"/>'s unread notifications, all of them or those of <paramref name="ids"/>
    /// (null: all), locked and re-checked unread after any wait: when two tabs mark the same ones read at once, each
    /// notification is found unread by one of them only.
    /// </summary>
    public static Task<List<long>> LockUnreadAsync(CrisisDeskDbContext db, string userName, long[]? ids, CancellationToken cancellationToken)
    {
        var all = ids is null;
        var only = ids ?? [];
        return db.Notifications.FromSql($"""
                SELECT n.* FROM notifications n JOIN users u ON u.id = n.user_id
                 WHERE lower(u.user_name) = lower({userName}) AND n.read_at IS NULL AND ({all} OR n.id = ANY({only})) FOR UPDATE OF n
                """)
            .Select(n => n.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Notification <paramref name="id"/> if it is <paramref name="userName"/>'s, locked: an acknowledgement racing
    /// another (two tabs) or an escalation step waits, then sees it acknowledged. Null when it is not theirs or not there.
    /// </summary>
    public static Task<LockedNotification?> LockOwnAsync(CrisisDeskDbContext db, long id, string userName, CancellationToken cancellationToken) =>
        db.Notifications.FromSql($"""
                SELECT n.* FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = {id} AND lower(u.user_name) = lower({userName}) FOR UPDATE OF n
                """)
            .Select(n => new LockedNotification(n.IncidentId, n.Kind, n.AcknowledgedAt != null))
            .SingleOrDefaultAsync(cancellationToken);
}
