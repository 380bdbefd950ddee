using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// A feed subscriber's row read <c>FOR UPDATE</c>, which LINQ cannot say, on the DbContext's connection and in its
/// current transaction (the command's): of two Admins revoking one token at once, one revokes it and the other waits,
/// finds it revoked, and is told so.
/// </summary>
public static class FeedSubscriberLocks
{
    /// <summary>Locks the subscriber if its token is still valid (not revoked); its name, or null when there is no such subscriber.</summary>
    public static Task<string?> LockValidAsync(CrisisDeskDbContext db, long subscriberId, CancellationToken cancellationToken) =>
        db.FeedSubscribers.FromSql($"SELECT * FROM feed_subscribers WHERE id = {subscriberId} AND revoked_at IS NULL FOR UPDATE")
            .Select(s => s.Name).SingleOrDefaultAsync(cancellationToken);
}
