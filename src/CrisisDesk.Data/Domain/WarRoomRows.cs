using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace CrisisDesk.Data.Domain;

// The enquiry detector's cursor (migration 0850), mapped as DomainRows.cs maps the rest: one class per table,
// properties in the order of the columns, snake_case names from CrisisDeskDbContext.

/// <summary>How far the enquiry detector has read one incident's posts; the row is also the lock of that incident's scan.</summary>
public sealed class EnquiryScanRow
{
    public int IncidentId { get; set; }
    public long LastPostId { get; set; }
}

internal sealed class EnquiryScanRowConfiguration : IEntityTypeConfiguration<EnquiryScanRow>
{
    public void Configure(EntityTypeBuilder<EnquiryScanRow> e)
    {
        e.ToTable("enquiry_scan");
        e.HasKey(s => s.IncidentId);
        e.Property(s => s.IncidentId).ValueGeneratedNever();
    }
}

public sealed partial class CrisisDeskDbContext
{
    public DbSet<EnquiryScanRow> EnquiryScans => Set<EnquiryScanRow>();
}

/// <summary>
/// The enquiry detector's two statements that must not fail on a row someone else wrote first, run on the DbContext's
/// connection and in its current transaction (the detector's). Through the change tracker each would be an insert that
/// meets the key as an error; as <c>ON CONFLICT DO NOTHING</c> the detector on another node, or an operator who marked
/// the post a moment earlier, simply wins.
/// </summary>
public static class EnquiryDetection
{
    private const string StartScan = "INSERT INTO enquiry_scan (incident_id, last_post_id) VALUES (@incidentId, 0) ON CONFLICT DO NOTHING";

    private const string Open = """
        INSERT INTO enquiries (incident_id, post_id, reason, opened_by) VALUES (@incidentId, @postId, @reason, @actor)
        ON CONFLICT (incident_id, post_id) DO NOTHING RETURNING id AS "Value"
        """;

    /// <summary>Makes sure the incident has a cursor row (at 0 when new), so the scan can lock it.</summary>
    public static Task StartScanAsync(CrisisDeskDbContext db, int incidentId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(StartScan, [new NpgsqlParameter("incidentId", incidentId)], cancellationToken);

    /// <summary>Opens an enquiry for the post; its id, or null when the post already is one.</summary>
    public static async Task<int?> OpenAsync(CrisisDeskDbContext db, int incidentId, long postId, string reason, string actor, CancellationToken cancellationToken)
    {
        // Not composed (no First/Single over it): EF sends the statement as written.
        var ids = await db.Database.SqlQueryRaw<int>(Open,
            new NpgsqlParameter("incidentId", incidentId), new NpgsqlParameter("postId", postId), new NpgsqlParameter("reason", reason),
            new NpgsqlParameter("actor", actor))
            .ToListAsync(cancellationToken);
        return ids.Count == 0 ? null : ids[0];
    }
}
