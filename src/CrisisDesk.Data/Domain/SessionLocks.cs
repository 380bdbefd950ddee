using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// A live session's row read <c>FOR UPDATE</c>, which LINQ cannot say, on the DbContext's connection and in its current
/// transaction: of two sign-outs of one session at once, the second waits, finds it revoked, and neither revokes (nor
/// announces) it twice.
/// </summary>
public static class SessionLocks
{
    /// <summary>Locks the session if it is not revoked; its user's id, or null when there is no such live session.</summary>
    public static Task<int?> LockLiveAsync(CrisisDeskDbContext db, string sessionId, CancellationToken cancellationToken) =>
        db.Sessions.FromSql($"SELECT * FROM sessions WHERE id = {sessionId} AND revoked_at IS NULL FOR UPDATE")
            .AsNoTracking().Select(s => (int?)s.UserId).SingleOrDefaultAsync(cancellationToken);
}
