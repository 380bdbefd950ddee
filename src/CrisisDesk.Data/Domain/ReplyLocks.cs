using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// A reply read <c>FOR UPDATE</c> (untracked) until the current transaction ends, in raw SQL because LINQ has no
/// locking clause; null when there is none. Replies carry no xmin token: a second decision on one reply waits, then
/// sees the first one's.
/// </summary>
public static class ReplyLocks
{
    public static Task<ReplyRow?> ByIdAsync(CrisisDeskDbContext db, int replyId, CancellationToken cancellationToken) =>
        db.Replies.FromSql($"SELECT * FROM replies WHERE id = {replyId} FOR UPDATE").AsNoTracking().SingleOrDefaultAsync(cancellationToken);
}
