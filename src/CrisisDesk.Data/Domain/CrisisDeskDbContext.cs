using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// The domain through EF Core: users and their sessions, incidents, sources, stories' metadata, triage marks, rumours and their links,
/// rebuttals and versions, alerts, deliveries, enquiries and their rule, replies and organisation accounts, recipient
/// lists, notifications, escalation rotas and the notifier's cursor, and the feed hub's outside subscribers.
/// </summary>
/// <remarks>
/// <para><b>EF Core for the domain, Npgsql for posts at volume.</b> Commands and queries over these tables use this
/// context (LINQ; <c>AsNoTracking</c> for reads). The hot path stays on raw Npgsql, as EF Core's own guidance says for
/// bulk work: the post writer's binary COPY, the feed's range reads, search, the replay's seek and the search indexer
/// never go through it. Both share the one <c>NpgsqlDataSource</c> the host registers. Sessions go through it too:
/// <c>SessionStore</c>'s check, which a signed-in request makes whenever its two-second cache has lapsed, is a compiled
/// query (the command bench times it beside the Dapper query it replaced).</para>
/// <para><b>What LINQ cannot say stays SQL, here in <c>CrisisDesk.Data</c>, never in a feature</b>: locking reads
/// (<c>FOR UPDATE</c>, <c>FOR SHARE</c>, <c>SKIP LOCKED</c> claims: <c>*Locks</c>, <c>DeliveryClaims</c>,
/// <c>ListDeliveryRecipients</c>), <c>INSERT … ON CONFLICT</c> (<c>PostTriageMarks</c>, <c>NotificationDedupe</c>),
/// the append-only event log and its reads (<c>Events/</c>) and the ingest nodes' source leases (<c>Leases/</c>); each
/// class says why it is SQL, and runs on the command's connection and transaction. <c>DomainSqlPlacementTests</c>
/// fails on any SQL naming a domain table outside this project, but for the hot-path readers' joins it lists.</para>
/// <para><b>The numbered SQL migrations own the schema</b> (<c>Migrations/NNNN_name.sql</c>); nothing here creates or
/// changes a table. <c>DomainModelMatchesSchemaTests</c> checks every mapped table, column, type, nullability and key
/// against a migrated database, so a mapping that drifts from the SQL fails a test rather than a command.</para>
/// <para><b>Concurrency</b>: users, rumours, rebuttals, alerts and sources carry PostgreSQL's <c>xmin</c> as their
/// concurrency token (<c>RowVersion</c>): a save over a row someone changed since it was read throws
/// <see cref="DbUpdateConcurrencyException"/>, which the command turns into the conflict the person sees.</para>
/// </remarks>
public sealed partial class CrisisDeskDbContext(DbContextOptions<CrisisDeskDbContext> options) : DbContext(options)
{
    public DbSet<UserRow> Users => Set<UserRow>();
    public DbSet<SessionRow> Sessions => Set<SessionRow>();
    public DbSet<IncidentRow> Incidents => Set<IncidentRow>();
    public DbSet<SourceRow> Sources => Set<SourceRow>();
    public DbSet<StoryMetadataRow> Stories => Set<StoryMetadataRow>();
    /// <summary>Posts as the domain refers to them (read only; see <see cref="PostReferenceRow"/>).</summary>
    public IQueryable<PostReferenceRow> PostReferences => Set<PostReferenceRow>().AsNoTracking();
    public DbSet<PostTriageRow> PostTriage => Set<PostTriageRow>();
    public DbSet<RumourRow> Rumours => Set<RumourRow>();
    public DbSet<RumourNoteRow> RumourNotes => Set<RumourNoteRow>();
    public DbSet<RumourPostRow> RumourPosts => Set<RumourPostRow>();
    public DbSet<RumourStoryRow> RumourStories => Set<RumourStoryRow>();
    public DbSet<RumourSuggestionRow> RumourSuggestions => Set<RumourSuggestionRow>();
    public DbSet<RebuttalRow> Rebuttals => Set<RebuttalRow>();
    public DbSet<RebuttalVersionRow> RebuttalVersions => Set<RebuttalVersionRow>();
    public DbSet<RebuttalTemplateRow> RebuttalTemplates => Set<RebuttalTemplateRow>();
    public DbSet<AlertRow> Alerts => Set<AlertRow>();
    public DbSet<DeliveryRow> Deliveries => Set<DeliveryRow>();
    public DbSet<EnquiryRow> Enquiries => Set<EnquiryRow>();
    public DbSet<EnquiryRuleRow> EnquiryRules => Set<EnquiryRuleRow>();

    /// <summary>
    /// A pooled factory over <paramref name="dataSource"/> for code composed without the host (tests, benches); the host
    /// registers its own (<c>AddCrisisDeskData</c>).
    /// </summary>
    public static IDbContextFactory<CrisisDeskDbContext> FactoryOver(Npgsql.NpgsqlDataSource dataSource) =>
        new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<CrisisDeskDbContext>(
            new DbContextOptionsBuilder<CrisisDeskDbContext>().UseNpgsql(dataSource).Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserRow>(e =>
        {
            e.ToTable("users");
            Identity(e.Property(u => u.Id));
            Now(e.Property(u => u.CreatedAt));
            e.Property(u => u.RowVersion).IsRowVersion();
        });
        modelBuilder.Entity<SessionRow>(e =>
        {
            e.ToTable("sessions");
            e.Property(s => s.Id).ValueGeneratedNever();
            Now(e.Property(s => s.CreatedAt));
            Now(e.Property(s => s.LastSeenAt));
        });
        modelBuilder.Entity<IncidentRow>(e =>
        {
            e.ToTable("incidents");
            Identity(e.Property(i => i.Id));
            Now(e.Property(i => i.OpenedAt));
        });
        modelBuilder.Entity<SourceRow>(e =>
        {
            e.ToTable("sources");
            Identity(e.Property(s => s.Id));
            e.Property(s => s.Config).HasColumnType("jsonb");
            Now(e.Property(s => s.CreatedAt));
            e.Property(s => s.RowVersion).IsRowVersion();
        });
        modelBuilder.Entity<StoryMetadataRow>(e =>
        {
            e.ToTable("stories");
            // Ids come from stories_id_seq, taken by the cluster stage: never generated here.
            e.Property(s => s.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<PostReferenceRow>(e =>
        {
            e.ToTable("posts", t => t.ExcludeFromMigrations());
            e.Property(p => p.Id).UseIdentityAlwaysColumn();
        });
        modelBuilder.Entity<PostTriageRow>(e =>
        {
            e.ToTable("post_triage");
            e.HasKey(t => t.PostId);
            e.Property(t => t.PostId).ValueGeneratedNever();
        });
        modelBuilder.Entity<RumourRow>(e =>
        {
            e.ToTable("rumours");
            Identity(e.Property(r => r.Id));
            Now(e.Property(r => r.CreatedAt));
            Now(e.Property(r => r.UpdatedAt));
            e.Property(r => r.RowVersion).IsRowVersion();
        });
        modelBuilder.Entity<RumourNoteRow>(e =>
        {
            e.ToTable("rumour_notes");
            Identity(e.Property(n => n.Id));
            Now(e.Property(n => n.At));
        });
        modelBuilder.Entity<RumourPostRow>(e =>
        {
            e.ToTable("rumour_posts");
            e.HasKey(l => new { l.RumourId, l.PostId });
            Now(e.Property(l => l.LinkedAt));
        });
        modelBuilder.Entity<RumourStoryRow>(e =>
        {
            e.ToTable("rumour_stories");
            e.HasKey(l => new { l.RumourId, l.StoryId });
            Now(e.Property(l => l.LinkedAt));
        });
        modelBuilder.Entity<RumourSuggestionRow>(e =>
        {
            e.ToTable("rumour_suggestions");
            Identity(e.Property(s => s.Id));
            Now(e.Property(s => s.CreatedAt));
        });
        modelBuilder.Entity<RebuttalRow>(e =>
        {
            e.ToTable("rebuttals");
            Identity(e.Property(r => r.Id));
            Now(e.Property(r => r.CreatedAt));
            Now(e.Property(r => r.UpdatedAt));
            e.Property(r => r.RowVersion).IsRowVersion();
        });
        modelBuilder.Entity<RebuttalVersionRow>(e =>
        {
            e.ToTable("rebuttal_versions");
            e.HasKey(v => new { v.RebuttalId, v.Version });
            e.Property(v => v.Variants).HasColumnType("jsonb");
            Now(e.Property(v => v.EditedAt));
        });
        modelBuilder.Entity<RebuttalTemplateRow>(e =>
        {
            e.ToTable("rebuttal_templates");
            Identity(e.Property(t => t.Id));
            e.Property(t => t.Variants).HasColumnType("jsonb");
            Now(e.Property(t => t.CreatedAt));
        });
        modelBuilder.Entity<AlertRow>(e =>
        {
            e.ToTable("alerts");
            Identity(e.Property(a => a.Id));
            Now(e.Property(a => a.CreatedAt));
            Now(e.Property(a => a.UpdatedAt));
            e.Property(a => a.RowVersion).IsRowVersion();
        });
        modelBuilder.Entity<DeliveryRow>(e =>
        {
            e.ToTable("deliveries");
            Identity(e.Property(d => d.Id));
            Now(e.Property(d => d.NextAttemptAt));
            e.Property(d => d.CreatedAt).HasDefaultValueSql("clock_timestamp()");
            Now(e.Property(d => d.UpdatedAt));
        });
        modelBuilder.Entity<EnquiryRow>(e =>
        {
            e.ToTable("enquiries");
            Identity(e.Property(q => q.Id));
            Now(e.Property(q => q.OpenedAt));
        });
        modelBuilder.Entity<EnquiryRuleRow>(e =>
        {
            e.ToTable("enquiry_rule");
            // The one row the migration inserted (id is always true): never added here.
            e.Property(r => r.Id).ValueGeneratedNever();
            Now(e.Property(r => r.UpdatedAt));
        });

        // Areas mapped in files of their own (Domain/*Rows.cs) configure their rows with IEntityTypeConfiguration<T>.
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CrisisDeskDbContext).Assembly);

        // Columns are the properties' names in snake_case (IncidentId → incident_id), as the SQL migrations name them.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.Name != nameof(RumourRow.RowVersion))
                    property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    /// <summary><c>GENERATED ALWAYS AS IDENTITY</c>: the database numbers new rows.</summary>
    internal static void Identity<T>(PropertyBuilder<T> property) => property.UseIdentityAlwaysColumn();

    /// <summary>A time the database stamps (<c>DEFAULT now()</c>) when the command leaves it unset.</summary>
    internal static void Now(PropertyBuilder<DateTime> property) => property.HasDefaultValueSql("now()");

    internal static string SnakeCase(string name)
    {
        var snake = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                snake.Append('_');
            snake.Append(char.ToLowerInvariant(name[i]));
        }
        return snake.ToString();
    }
}
