using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// A live recipient list (not deleted) read under a row lock until the current transaction ends, in raw SQL because
/// LINQ has no locking clause; null when there is no such list. The lock is the lists' concurrency rule: they carry no
/// xmin token.
/// </summary>
public static class RecipientListLocks
{
    /// <summary>
    /// <c>FOR UPDATE</c>, for a change to the list or its members: two Admins' changes to one list queue, and the second
    /// sees the first's.
    /// </summary>
    public static Task<RecipientListRow?> ForChangeAsync(CrisisDeskDbContext db, int listId, CancellationToken cancellationToken) =>
        db.RecipientLists.FromSql($"SELECT * FROM recipient_lists WHERE id = {listId} AND deleted_at IS NULL FOR UPDATE")
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// <c>FOR SHARE</c>, for copying the list into a delivery: an Admin's delete or edit of the list waits until the
    /// copying transaction has ended, while several deliveries may copy one list at once.
    /// </summary>
    public static Task<RecipientListRow?> ForCopyAsync(CrisisDeskDbContext db, int listId, CancellationToken cancellationToken) =>
        db.RecipientLists.FromSql($"SELECT * FROM recipient_lists WHERE id = {listId} AND deleted_at IS NULL FOR SHARE")
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken);
}
