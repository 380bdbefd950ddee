using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrisisDesk.Data.Domain;

// The Notifications area's tables (migrations 0840 and 0890) as EF Core sees them: settings, rules and notifications,
// and the two background workers' tables (the notifier's cursor over the event log, the rotas the escalation watcher
// works down). The migrations own these tables; nothing here changes them.

/// <summary>How to reach a person and when not to (quiet hours in their own time zone); one row per person who saved any.</summary>
public sealed class NotificationSettingsRow
{
    public int UserId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public TimeOnly? QuietFrom { get; set; }
    public TimeOnly? QuietUntil { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A person's own rule for one kind of notification; without one, their role's default applies.</summary>
public sealed class NotificationRuleRow
{
    public int UserId { get; set; }
    public string Kind { get; set; } = "";
    public bool InApp { get; set; }
    public bool Email { get; set; }
    public bool Sms { get; set; }
    /// <summary>For rumours: the least severity worth hearing about.</summary>
    public string? MinSeverity { get; set; }
}

/// <summary>One thing one person is told; (user, dedupe key) is unique, so a happening raised twice tells each person once.</summary>
public sealed class NotificationRow
{
    public long Id { get; set; }
    public int UserId { get; set; }
    public int IncidentId { get; set; }
    public string Kind { get; set; } = "";
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
    /// <summary>Site-relative path of the thing to act on (/incidents/3/alerts/12).</summary>
    public string Link { get; set; } = "";
    public bool Urgent { get; set; }
    public string DedupeKey { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? ReadAt { get; set; }
    public DateTime? AcknowledgedAt { get; set; }
    public int EscalationStep { get; set; }
}

public sealed class NotificationSettingsRowConfiguration : IEntityTypeConfiguration<NotificationSettingsRow>
{
    public void Configure(EntityTypeBuilder<NotificationSettingsRow> e)
    {
        e.ToTable("notification_settings");
        e.HasKey(s => s.UserId);
        e.Property(s => s.UserId).ValueGeneratedNever();
        CrisisDeskDbContext.Now(e.Property(s => s.UpdatedAt));
    }
}

public sealed class NotificationRuleRowConfiguration : IEntityTypeConfiguration<NotificationRuleRow>
{
    public void Configure(EntityTypeBuilder<NotificationRuleRow> e)
    {
        e.ToTable("notification_rules");
        e.HasKey(r => new { r.UserId, r.Kind });
    }
}

public sealed class NotificationRowConfiguration : IEntityTypeConfiguration<NotificationRow>
{
    public void Configure(EntityTypeBuilder<NotificationRow> e)
    {
        e.ToTable("notifications");
        CrisisDeskDbContext.Identity(e.Property(n => n.Id));
        CrisisDeskDbContext.Now(e.Property(n => n.CreatedAt));
    }
}

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
    public DbSet<NotificationSettingsRow> NotificationSettings => Set<NotificationSettingsRow>();
    public DbSet<NotificationRuleRow> NotificationRules => Set<NotificationRuleRow>();
    public DbSet<NotificationRow> Notifications => Set<NotificationRow>();
    public DbSet<NotifierCursorRow> NotifierCursor => Set<NotifierCursorRow>();
    public DbSet<EscalationRotaRow> EscalationRotas => Set<EscalationRotaRow>();
}
