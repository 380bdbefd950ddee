using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// An organisation account's row read <c>FOR UPDATE</c>, which LINQ cannot say, on the DbContext's connection and in
/// its current transaction (the command's): of two Admins removing it at once, the second waits, finds no row, and
/// hears so.
/// </summary>
public static class OrgAccountLocks
{
    /// <summary>Locks the incident's account (untracked); null when the incident has no such account.</summary>
    public static Task<OrgAccountRow?> LockAsync(CrisisDeskDbContext db, int incidentId, int accountId, CancellationToken cancellationToken) =>
        db.OrgAccounts.FromSql($"SELECT * FROM org_accounts WHERE id = {accountId} AND incident_id = {incidentId} FOR UPDATE")
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken);
}
