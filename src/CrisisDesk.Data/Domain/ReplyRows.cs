using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace CrisisDesk.Data.Domain;

// Replies in thread and the organisation's accounts (migration 0850), mapped as DomainRows.cs maps the rest: one class
// per table, properties in the order of the columns, snake_case names from CrisisDeskDbContext.

/// <summary>An identity that speaks for the organisation in one incident (one per incident and platform).</summary>
public sealed class OrgAccountRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public string Platform { get; set; } = "";
    public string Handle { get; set; } = "";
    public string BaseUrl { get; set; } = "";
    /// <summary>The credential's name (<c>CrisisDesk:Secrets:&lt;name&gt;</c>); its value is never stored.</summary>
    public string SecretName { get; set; } = "";
    public string CreatedBy { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>Whether a reply on a platform written by a role needs someone else's approval.</summary>
public sealed class ReplyRuleRow
{
    public string Platform { get; set; } = "";
    public string Role { get; set; } = "";
    public bool NeedsApproval { get; set; }
}

/// <summary>A reply in thread to one post, as drafted and decided; sent through the outbox (<see cref="DeliveryRow.ReplyId"/>).</summary>
public sealed class ReplyRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public long PostId { get; set; }
    public int? EnquiryId { get; set; }
    public string Platform { get; set; } = "";
    public string Text { get; set; } = "";
    public int? RebuttalId { get; set; }
    public string State { get; set; } = "";
    public string Author { get; set; } = "";
    public string? Approver { get; set; }
    public string? DecisionComment { get; set; }
    /// <summary>Where the reply attaches in the parent's thread (jsonb), fixed when drafted.</summary>
    public string ParentRef { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>X has no idempotency key: the delivery's retry generation of a send whose answer was never recorded.</summary>
    public int? UnansweredSendGeneration { get; set; }
}

internal sealed class OrgAccountRowConfiguration : IEntityTypeConfiguration<OrgAccountRow>
{
    public void Configure(EntityTypeBuilder<OrgAccountRow> e)
    {
        e.ToTable("org_accounts");
        CrisisDeskDbContext.Identity(e.Property(a => a.Id));
        CrisisDeskDbContext.Now(e.Property(a => a.CreatedAt));
        CrisisDeskDbContext.Now(e.Property(a => a.UpdatedAt));
    }
}

internal sealed class ReplyRuleRowConfiguration : IEntityTypeConfiguration<ReplyRuleRow>
{
    public void Configure(EntityTypeBuilder<ReplyRuleRow> e)
    {
        e.ToTable("reply_rules");
        e.HasKey(r => new { r.Platform, r.Role });
    }
}

internal sealed class ReplyRowConfiguration : IEntityTypeConfiguration<ReplyRow>
{
    public void Configure(EntityTypeBuilder<ReplyRow> e)
    {
        e.ToTable("replies");
        CrisisDeskDbContext.Identity(e.Property(r => r.Id));
        e.Property(r => r.ParentRef).HasColumnType("jsonb");
        CrisisDeskDbContext.Now(e.Property(r => r.CreatedAt));
    }
}

public sealed partial class CrisisDeskDbContext
{
    public DbSet<OrgAccountRow> OrgAccounts => Set<OrgAccountRow>();
    public DbSet<ReplyRuleRow> ReplyRules => Set<ReplyRuleRow>();
    public DbSet<ReplyRow> Replies => Set<ReplyRow>();
}

/// <summary>
/// Saving an incident's account on a platform as one <c>INSERT … ON CONFLICT (incident_id, platform) DO UPDATE</c>, on
/// the DbContext's connection and in its current transaction (the command's). Through the change tracker it would be a
/// read and then an insert, and two Admins saving the first account of a platform at once would meet the unique key
/// as an error; as one statement the later save replaces the earlier, as it always has.
/// </summary>
public static class OrgAccountUpserts
{
    private const string Upsert = """
        INSERT INTO org_accounts (incident_id, platform, handle, base_url, secret_name, created_by)
        VALUES (@incidentId, @platform, @handle, @baseUrl, @secretName, @actor)
        ON CONFLICT (incident_id, platform) DO UPDATE SET handle = excluded.handle, base_url = excluded.base_url,
            secret_name = excluded.secret_name, updated_at = now()
        RETURNING id AS "Value"
        """;

    /// <summary>Adds or replaces the account; returns its id (the existing row's when replaced).</summary>
    public static async Task<int> SaveAsync(CrisisDeskDbContext db, int incidentId, string platform, string handle, string baseUrl, string secretName, string actor,
        CancellationToken cancellationToken)
    {
        // Not composed (no First/Single over it): EF sends the statement as written.
        var ids = await db.Database.SqlQueryRaw<int>(Upsert,
            new NpgsqlParameter("incidentId", incidentId), new NpgsqlParameter("platform", platform), new NpgsqlParameter("handle", handle),
            new NpgsqlParameter("baseUrl", baseUrl), new NpgsqlParameter("secretName", secretName), new NpgsqlParameter("actor", actor))
            .ToListAsync(cancellationToken);
        return ids.Single();
    }
}
