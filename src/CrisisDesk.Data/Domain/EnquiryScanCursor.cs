using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// The enquiry detector's cursor of one incident (<c>enquiry_scan</c>), read <c>FOR UPDATE</c> in the scan's
/// transaction: the row is the lock that lets one scanner at a time read the incident's posts, across instances. Raw
/// SQL because LINQ has no locking clause; <see cref="EnquiryDetection.StartScanAsync"/> makes sure the row exists.
/// </summary>
public static class EnquiryScanCursor
{
    /// <summary>The id of the last post the incident's scans have read, locked until the transaction ends.</summary>
    public static Task<long> LockAsync(CrisisDeskDbContext db, int incidentId, CancellationToken cancellationToken) =>
        db.EnquiryScans.FromSql($"SELECT * FROM enquiry_scan WHERE incident_id = {incidentId} FOR UPDATE")
            .AsNoTracking().Select(s => s.LastPostId).SingleAsync(cancellationToken);
}
