using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// A rumour read for a change to it: tracked, with its xmin, and locked <c>FOR UPDATE</c> until the current transaction
/// ends, in raw SQL because LINQ has no locking clause. The lock makes changes to one rumour queue in the order they
/// came: without it two commands waiting on a third writer could both wake (their notes' key-share locks are
/// compatible) and race to the update, and the later click could win. The xmin still guards the save.
/// </summary>
public static class RumourLocks
{
    /// <summary>The rumour, tracked and locked; null when there is none.</summary>
    public static Task<RumourRow?> ForChangeAsync(CrisisDeskDbContext db, int rumourId, CancellationToken cancellationToken) =>
        db.Rumours.FromSql($"SELECT *, xmin FROM rumours WHERE id = {rumourId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
}
