using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// Accounts' rows read <c>FOR UPDATE</c>, which LINQ cannot say, on the DbContext's connection and in its current
/// transaction (the command's), so that changes which must see each other queue on the rows instead of racing.
/// </summary>
public static class AccountLocks
{
    /// <summary>
    /// Locks every enabled account with <paramref name="role"/> (in id order, so two of these never deadlock) and counts
    /// them. Read committed re-checks a row it waited for, so an account demoted or disabled by a transaction that
    /// committed meanwhile is not counted: two Admins demoting each other at once cannot both pass a last-Admin check.
    /// </summary>
    public static async Task<int> LockEnabledInRoleAsync(CrisisDeskDbContext db, string role, CancellationToken cancellationToken) =>
        (await db.Database.SqlQuery<int>($"""
            SELECT id AS "Value" FROM users WHERE role = {role} AND NOT disabled ORDER BY id FOR UPDATE
            """).ToListAsync(cancellationToken)).Count;

    /// <summary>
    /// The account single sign-on made for the provider's <paramref name="issuer"/> and <paramref name="subject"/>,
    /// locked and tracked with its xmin (so it is saved under its concurrency token), or null when there is none: two
    /// sign-ins of one person at once queue on it, and do not both change the role (and both end the sessions).
    /// </summary>
    public static Task<UserRow?> LockExternalAsync(CrisisDeskDbContext db, string issuer, string subject, CancellationToken cancellationToken) =>
        db.Users.FromSql($"SELECT *, xmin FROM users WHERE external_issuer = {issuer} AND external_subject = {subject} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
}
