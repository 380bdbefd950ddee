using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// An enquiry read <c>FOR UPDATE</c> (untracked) until the current transaction ends, in raw SQL because LINQ has no
/// locking clause; null when there is none. Enquiries carry no xmin token: the row lock is their concurrency rule, so
/// a second operator's command (or a second reply to the post) waits, then sees the first one's change.
/// </summary>
public static class EnquiryLocks
{
    public static Task<EnquiryRow?> ByIdAsync(CrisisDeskDbContext db, int enquiryId, CancellationToken cancellationToken) =>
        db.Enquiries.FromSql($"SELECT * FROM enquiries WHERE id = {enquiryId} FOR UPDATE").AsNoTracking().SingleOrDefaultAsync(cancellationToken);

    /// <summary>The enquiry a post is (at most one per post).</summary>
    public static Task<EnquiryRow?> OfPostAsync(CrisisDeskDbContext db, int incidentId, long postId, CancellationToken cancellationToken) =>
        db.Enquiries.FromSql($"SELECT * FROM enquiries WHERE incident_id = {incidentId} AND post_id = {postId} FOR UPDATE").AsNoTracking().SingleOrDefaultAsync(cancellationToken);
}
