using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrisisDesk.Data.Domain;

// The feed hub's outside subscribers (migration 0830), mapped as DomainRows.cs maps the rest. The other tables of that
// migration are infrastructure, not domain, and stay on Npgsql: source_leases (taken and renewed every second by each
// ingest node, one UPDATE … RETURNING per round) and data_protection_keys (ASP.NET Core's key ring).

/// <summary>A read-only token for <c>/hubs/feed</c>, scoped to incidents; only its SHA-256 is kept.</summary>
public sealed class FeedSubscriberRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public byte[] TokenHash { get; set; } = [];
    public int[] IncidentIds { get; set; } = [];
    public string CreatedBy { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public string? RevokedBy { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class FeedSubscriberRowConfiguration : IEntityTypeConfiguration<FeedSubscriberRow>
{
    public void Configure(EntityTypeBuilder<FeedSubscriberRow> e)
    {
        e.ToTable("feed_subscribers");
        CrisisDeskDbContext.Identity(e.Property(s => s.Id));
        CrisisDeskDbContext.Now(e.Property(s => s.CreatedAt));
    }
}

public sealed partial class CrisisDeskDbContext
{
    public DbSet<FeedSubscriberRow> FeedSubscribers => Set<FeedSubscriberRow>();
}
