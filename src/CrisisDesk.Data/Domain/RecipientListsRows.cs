using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrisisDesk.Data.Domain;

// Recipient lists and the per-recipient receipts of their deliveries (migration 0860). Their ids are serial, not
// identity columns, so they are mapped as such: the database numbers new rows either way.

/// <summary>An email or SMS list (Admin). Deleting one keeps its row (deliveries point at it) and erases its recipients.</summary>
public sealed class RecipientListRow
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary><c>email</c> or <c>sms</c>.</summary>
    public string Kind { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? DeletedAt { get; set; }
}

/// <summary>Who is on a list: an email address (compared case-insensitively) or an E.164 number.</summary>
public sealed class ListRecipientRow
{
    public long Id { get; set; }
    public int ListId { get; set; }
    public string Name { get; set; } = "";
    public string Address { get; set; } = "";
    public DateTime AddedAt { get; set; }
}

/// <summary>One recipient of one list delivery, copied from the list when the delivery was queued, with its receipt.</summary>
public sealed class DeliveryRecipientRow
{
    public long DeliveryId { get; set; }
    public int Position { get; set; }
    public string Name { get; set; } = "";
    public string Address { get; set; } = "";
    /// <summary>Stable across resends (the email's Message-Id).</summary>
    public Guid IdempotencyKey { get; set; }
    /// <summary><c>pending</c>, <c>sending</c> (claimed under a lease), <c>sent</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "pending";
    public int Attempts { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public string? Receipt { get; set; }
    public string? LastError { get; set; }
    public DateTime? SentAt { get; set; }
}

public sealed class RecipientListRowConfiguration : IEntityTypeConfiguration<RecipientListRow>
{
    public void Configure(EntityTypeBuilder<RecipientListRow> e)
    {
        e.ToTable("recipient_lists");
        e.Property(l => l.Id).UseSerialColumn();
        CrisisDeskDbContext.Now(e.Property(l => l.CreatedAt));
    }
}

public sealed class ListRecipientRowConfiguration : IEntityTypeConfiguration<ListRecipientRow>
{
    public void Configure(EntityTypeBuilder<ListRecipientRow> e)
    {
        e.ToTable("list_recipients");
        e.Property(r => r.Id).UseSerialColumn();
        CrisisDeskDbContext.Now(e.Property(r => r.AddedAt));
    }
}

public sealed class DeliveryRecipientRowConfiguration : IEntityTypeConfiguration<DeliveryRecipientRow>
{
    public void Configure(EntityTypeBuilder<DeliveryRecipientRow> e)
    {
        e.ToTable("delivery_recipients");
        e.HasKey(r => new { r.DeliveryId, r.Position });
    }
}

public sealed partial class CrisisDeskDbContext
{
    public DbSet<RecipientListRow> RecipientLists => Set<RecipientListRow>();
    public DbSet<ListRecipientRow> ListRecipients => Set<ListRecipientRow>();
    public DbSet<DeliveryRecipientRow> DeliveryRecipients => Set<DeliveryRecipientRow>();
}
