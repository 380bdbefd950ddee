using CrisisDesk.Data.Domain;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace CrisisDesk.IntegrationTests.Data;

/// <summary>
/// The numbered SQL migrations own the schema; EF Core only maps it. Every mapped table, column, type, nullability and
/// key is checked against a database the migrations built, so a mapping that drifts fails here and not in a command.
/// </summary>
public sealed class DomainModelMatchesSchemaTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private sealed record DbColumn(string Table, string Column, string Type, bool Nullable);

    private CrisisDeskDbContext NewContext() =>
        new(new DbContextOptionsBuilder<CrisisDeskDbContext>().UseNpgsql(database.DataSource).Options);

    [Fact]
    public async Task Every_mapped_table_column_type_nullability_and_key_matches_the_migrated_schema()
    {
        await using var db = NewContext();
        var model = db.GetService<IDesignTimeModel>().Model;
        await using var connection = await database.DataSource.OpenConnectionAsync();
        // User columns (attnum > 0) and xmin, the system column the concurrency tokens map to.
        var columns = (await connection.QueryAsync<DbColumn>("""
            SELECT c.relname AS "Table", a.attname AS "Column", format_type(a.atttypid, a.atttypmod) AS "Type", NOT a.attnotnull AS "Nullable"
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND NOT a.attisdropped AND (a.attnum > 0 OR a.attname = 'xmin')
            """)).ToDictionary(c => (c.Table, c.Column));
        var keys = (await connection.QueryAsync<(string Table, string Column)>("""
            SELECT c.relname, a.attname
              FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
             WHERE i.indisprimary AND c.relnamespace = 'public'::regnamespace
            """)).ToLookup(k => k.Table, k => k.Column);

        var problems = new List<string>();
        var tables = new List<string>();
        foreach (var entity in model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            tables.Add(table);
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            if (!columns.Keys.Any(k => k.Table == table))
            {
                problems.Add($"{entity.ClrType.Name}: table {table} does not exist");
                continue;
            }
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName(store)!;
                if (!columns.TryGetValue((table, column), out var actual))
                {
                    problems.Add($"{table}.{column} ({entity.ClrType.Name}.{property.Name}) does not exist");
                    continue;
                }
                if (property.GetColumnType() != actual.Type)
                    problems.Add($"{table}.{column}: mapped as {property.GetColumnType()}, the schema has {actual.Type}");
                if (column != "xmin" && property.IsColumnNullable(store) != actual.Nullable)
                    problems.Add($"{table}.{column}: mapped {(property.IsColumnNullable(store) ? "nullable" : "not null")}, the schema has it {(actual.Nullable ? "nullable" : "not null")}");
            }
            var mappedKey = entity.FindPrimaryKey()!.Properties.Select(p => p.GetColumnName(store)!).Order().ToList();
            var actualKey = keys[table].Order().ToList();
            if (!mappedKey.SequenceEqual(actualKey))
                problems.Add($"{table}: key mapped as ({string.Join(", ", mappedKey)}), the schema's is ({string.Join(", ", actualKey)})");
        }

        Assert.True(problems.Count == 0, "The EF model does not match the migrated schema:\n" + string.Join("\n", problems));
        // The domain, every table of it: a table dropped from the model would otherwise pass unnoticed.
        Assert.Equal(
            [
                "alerts",
                "deliveries",
                "delivery_recipients",
                "enquiries",
                "enquiry_rule",
                "enquiry_scan",
                "escalation_rotas",
                "feed_subscribers",
                "incidents",
                "list_recipients",
                "notification_rules",
                "notification_settings",
                "notifications",
                "notifier_cursor",
                "org_accounts",
                "post_triage",
                "posts",
                "rebuttal_templates",
                "rebuttal_versions",
                "rebuttals",
                "recipient_lists",
                "replies",
                "reply_rules",
                "rumour_notes",
                "rumour_posts",
                "rumour_stories",
                "rumour_suggestions",
                "rumours",
                "sessions",
                "sources",
                "stories",
                "users",
            ],
            tables.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_save_over_a_rumour_changed_since_it_was_read_is_refused_by_its_xmin()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Concurrency') RETURNING id");
        var rumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, created_by) VALUES (@incidentId, 'The bridge fell', 'High', 'ann', 'New', 'ann') RETURNING id
            """, new { incidentId });
        await using var first = NewContext();
        await using var second = NewContext();
        var mine = await first.Rumours.SingleAsync(r => r.Id == rumourId);
        var theirs = await second.Rumours.SingleAsync(r => r.Id == rumourId);

        theirs.Status = "Investigating";
        await second.SaveChangesAsync();
        mine.Claim = "The old bridge fell";

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => first.SaveChangesAsync());
        var stored = await connection.QuerySingleAsync<(string Claim, string Status)>("SELECT claim, status FROM rumours WHERE id = @rumourId", new { rumourId });
        Assert.Equal(("The bridge fell", "Investigating"), stored);
    }

    [Fact]
    public async Task Users_rumours_rebuttals_alerts_and_sources_carry_xmin_as_their_concurrency_token()
    {
        await using var db = NewContext();
        foreach (var type in new[] { typeof(UserRow), typeof(RumourRow), typeof(RebuttalRow), typeof(AlertRow), typeof(SourceRow) })
        {
            var token = Assert.Single(db.Model.FindEntityType(type)!.GetProperties(), p => p.IsConcurrencyToken);
            Assert.Equal("xmin", token.GetColumnName());
            Assert.Equal(ValueGenerated.OnAddOrUpdate, token.ValueGenerated);
        }
    }
}
