using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrisisDesk.Data.Domain;

// The tables of the Notifications area's two background workers (migrations 0840 and 0890): the notifier's cursor
// over the event log, and the rotas the escalation watcher works down. The migrations own these tables.

/// <summary>How far the notifier has read the event log: the one row, advanced with what it wrote from what it read.</summary>
public sealed class NotifierCursorRow
{
    /// <summary>Always true: the table holds one row, which the migration inserted.</summary>
    public bool OnlyRow { get; set; } = true;
    public long LastSeq { get; set; }
}

/// <summary>One person's place on an escalation rota: an incident's, or the default one (<see cref="IncidentId"/> null).</summary>
public sealed class EscalationRotaRow
{
    /// <summary>A surrogate (migration 0890): the default rota's null incident cannot be part of a primary key.</summary>
    public long Id { get; set; }
    public int? IncidentId { get; set; }
    /// <summary>From 1: who is told first.</summary>
    public int Position { get; set; }
    public int UserId { get; set; }
}

public sealed class NotifierCursorRowConfiguration : IEntityTypeConfiguration<NotifierCursorRow>
{
    public void Configure(EntityTypeBuilder<NotifierCursorRow> e)
    {
        e.ToTable("notifier_cursor");
        e.HasKey(c => c.OnlyRow);
        e.Property(c => c.OnlyRow).ValueGeneratedNever();
    }
}

public sealed class EscalationRotaRowConfiguration : IEntityTypeConfiguration<EscalationRotaRow>
{
    public void Configure(EntityTypeBuilder<EscalationRotaRow> e)
    {
        e.ToTable("escalation_rotas");
        CrisisDeskDbContext.Identity(e.Property(r => r.Id));
    }
}

public sealed partial class CrisisDeskDbContext
{
    public DbSet<NotifierCursorRow> NotifierCursor => Set<NotifierCursorRow>();
    public DbSet<EscalationRotaRow> EscalationRotas => Set<EscalationRotaRow>();
}
