using CrisisDesk.Core.Events;
using CrisisDesk.Data;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Review;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace CrisisDesk.IntegrationTests.Data;

/// <summary>
/// A data directory made by an older build upgrades with nothing lost. The database is built with migrations up to
/// 0720 only (the last of that release) and filled with SQL of that era, as its code wrote it: a drill's posts (one
/// edited, one deleted, two stories, searchable), triage marks, rumours with linked posts, a linked story, notes and a
/// suggestion, a rebuttal with two versions, an approved alert with three deliveries, and the event log of it all.
/// Today's migrator then runs, and every column that existed before must hold exactly what it held (each table's
/// content hashed column by column before and after), and today's DbContext and queries must read it.
/// </summary>
public sealed class OldDataDirectoryUpgradeTests
{
    private const int LastMigrationOfTheOldRelease = 720;

    [Fact]
    public async Task A_database_of_migrations_up_to_0720_filled_as_that_build_did_upgrades_with_every_row_intact_and_readable()
    {
        await using var database = await TestDatabase.CreateEmptyAsync();
        var old = await database.NewMigrator().MigrateAsync(LastMigrationOfTheOldRelease);
        Assert.Equal(DatabaseMigrator.Embedded.Where(m => m.Version <= LastMigrationOfTheOldRelease).Select(m => m.Version), old);

        var drill = await FillAsTheOldBuildDidAsync(database.DataSource);
        var before = await ContentByColumnAsync(database.DataSource, columns: null);

        var applied = await database.NewMigrator().MigrateAsync();

        Assert.Equal(DatabaseMigrator.Embedded.Where(m => m.Version > LastMigrationOfTheOldRelease).Select(m => m.Version), applied);
        var after = await ContentByColumnAsync(database.DataSource, before.Keys);
        var changed = before.Where(b => after[b.Key] != b.Value).Select(b => $"{b.Key.Table}.{b.Key.Column}").ToList();
        Assert.True(changed.Count == 0, "The upgrade changed what these columns held: " + string.Join(", ", changed));
        // The hashes above are of the whole tables; these are the rows themselves, so a table emptied both times cannot pass.
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            var counts = await connection.QuerySingleAsync<(long Posts, long Versions, long Search, long Stories, long Triage, long Rumours, long Notes,
                long RumourPosts, long RumourStories, long Suggestions, long Rebuttals, long RebuttalVersions, long Alerts, long Deliveries, long Events)>("""
                SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_versions), (SELECT count(*) FROM post_search), (SELECT count(*) FROM stories),
                       (SELECT count(*) FROM post_triage), (SELECT count(*) FROM rumours), (SELECT count(*) FROM rumour_notes),
                       (SELECT count(*) FROM rumour_posts), (SELECT count(*) FROM rumour_stories), (SELECT count(*) FROM rumour_suggestions),
                       (SELECT count(*) FROM rebuttals), (SELECT count(*) FROM rebuttal_versions), (SELECT count(*) FROM alerts),
                       (SELECT count(*) FROM deliveries), (SELECT count(*) FROM events)
                """);
            Assert.Equal((DrillPosts, 2L, DrillPosts, 2L, 3L, 2L, 3L, 2L, 1L, 1L, 1L, 2L, 1L, 3L, drill.Events), counts);
        }

        await ReadThroughTheDbContextAsync(database.DataSource, drill);
        await ReadThroughTodaysQueriesAsync(database.DataSource, drill);
        Assert.Null(await EventLog.VerifyAsync(database.DataSource));
    }

    private const long DrillPosts = 40;

    private sealed record OldDrill(int IncidentId, long FirstPostId, long StoryA, long StoryB, int ClaimRumourId, int QuietRumourId, int RebuttalId, int AlertId, long Events);

    /// <summary>The rows the 0720-era build wrote for a drill and the work on it, in the columns it knew.</summary>
    private static async Task<OldDrill> FillAsTheOldBuildDidAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO users (user_name, display_name, password_hash, role) VALUES
                ('olga', 'Olga Operator', 'AQAAAAIAAYagAAAAEOldHash1', 'Operator'),
                ('abe', 'Abe Approver', 'AQAAAAIAAYagAAAAEOldHash2', 'Approver')
            """);
        var incidentId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO incidents (name, keywords, area, is_drill, opened_at) VALUES ('Riverside flood (drill)', '{flood,river}', 'Riverside', true, '2026-11-20T09:00:00Z') RETURNING id
            """);
        var sourceId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO sources (incident_id, kind, name, config, enabled, cursor, posts_stored, quarantined, last_item_at, edits_stored, deletions_applied, deletions_unmatched)
            VALUES (@incidentId, 'replay', 'Drill: riverside-flood.jsonl', '{"file": "riverside-flood.jsonl", "speed": 10}', false, '40', 40, 1, '2026-11-20T09:39:00Z', 1, 1, 1)
            RETURNING id
            """, new { incidentId });
        await connection.ExecuteAsync("""
            INSERT INTO quarantine (source_id, format, reason, payload) VALUES (@sourceId, 'jsonl', 'missing id', '\x7b7d');
            INSERT INTO unmatched_deletions (incident_id, platform, external_id, source_id, received_at) VALUES (@incidentId, 'mastodon', 'gone-1', @sourceId, '2026-11-20T09:30:00Z');
            """, new { incidentId, sourceId });
        var storyA = await connection.ExecuteScalarAsync<long>("SELECT nextval('stories_id_seq')");
        var storyB = await connection.ExecuteScalarAsync<long>("SELECT nextval('stories_id_seq')");
        // The drill's posts, a minute apart; every fourth in story A and every tenth in story B, as the cluster stage wrote them.
        await connection.ExecuteAsync("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, lang, has_media, extra, story_id)
            SELECT @incidentId, @sourceId, CASE WHEN n % 3 = 0 THEN 'mastodon' ELSE 'x' END, 'drill-' || n,
                   timestamptz '2026-11-20T09:00:00Z' + n * interval '1 minute', timestamptz '2026-11-20T09:00:05Z' + n * interval '1 minute',
                   'resident' || n, 'Resident ' || n,
                   CASE WHEN n % 4 = 0 THEN 'The Mill Street bridge has collapsed, avoid the river ' || n
                        WHEN n % 10 = 5 THEN 'Shelter open at the Riverside school gym ' || n
                        ELSE 'Water rising on Quay Road, post ' || n END,
                   'https://x.example/resident' || n || '/' || n, 'en', n % 7 = 0, jsonb_build_object('verified', n = 1),
                   CASE WHEN n % 4 = 0 THEN @storyA WHEN n % 10 = 5 THEN @storyB END
              FROM generate_series(1, 40) n
            """, new { incidentId, sourceId, storyA, storyB });
        var firstPostId = await connection.ExecuteScalarAsync<long>("SELECT min(id) FROM posts");
        await connection.ExecuteAsync("""
            INSERT INTO stories (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
            SELECT @storyA, @incidentId, count(*), min(id), min(created_at), max(created_at), 0.25, 'The Mill Street bridge has collapsed, avoid the river 4' FROM posts WHERE story_id = @storyA;
            INSERT INTO stories (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
            SELECT @storyB, @incidentId, count(*), min(id), min(created_at), max(created_at), 0.1, 'Shelter open at the Riverside school gym 5' FROM posts WHERE story_id = @storyB;
            -- Post 2 edited (its original kept as a version), post 3 deleted, as the 0500 edit path wrote them.
            INSERT INTO post_versions (post_id, version, original, text, version_at, received_at)
            VALUES (@firstPostId + 1, 'original', true, 'Water rising on Quay Road, post 2', '2026-11-20T09:02:00Z', '2026-11-20T09:02:05Z'),
                   (@firstPostId + 1, '2026-11-20T09:05:00Z', false, 'Water rising fast on Quay Road, post 2 (edited)', '2026-11-20T09:05:00Z', '2026-11-20T09:05:02Z');
            UPDATE posts SET text = 'Water rising fast on Quay Road, post 2 (edited)', edited_at = '2026-11-20T09:05:00Z' WHERE id = @firstPostId + 1;
            UPDATE posts SET deleted_at = '2026-11-20T09:10:00Z' WHERE id = @firstPostId + 2;
            -- The search indexer's documents and progress (0700), for every post.
            INSERT INTO post_search (post_id, incident_id, document) SELECT id, incident_id, to_tsvector('simple'::regconfig, text) FROM posts;
            INSERT INTO search_progress (incident_id, indexed_up_to) SELECT incident_id, max(id) FROM posts GROUP BY incident_id;
            INSERT INTO post_triage (post_id, incident_id, flagged_at, flagged_by, reviewed_at, reviewed_by) VALUES
                (@firstPostId + 3, @incidentId, '2026-11-20T09:06:00Z', 'olga', NULL, NULL),
                (@firstPostId + 7, @incidentId, '2026-11-20T09:09:00Z', 'olga', '2026-11-20T09:12:00Z', 'abe'),
                (@firstPostId + 9, @incidentId, NULL, NULL, '2026-11-20T09:11:00Z', 'olga');
            """, new { incidentId, storyA, storyB, firstPostId });

        // Two rumours: the bridge claim (moved to ConfirmedFalse, version 2, a post and story A linked, a suggestion of
        // story B) and a quiet one left New.
        var claimRumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, keywords, version, created_at, created_by, updated_at)
            VALUES (@incidentId, 'The Mill Street bridge has collapsed', 'High', 'olga', 'ConfirmedFalse', '{bridge,collapsed}', 2, '2026-11-20T09:07:00Z', 'olga', '2026-11-20T09:15:00Z')
            RETURNING id
            """, new { incidentId });
        var quietRumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, created_at, created_by, updated_at)
            VALUES (@incidentId, 'The dam upstream is leaking', 'Medium', 'olga', 'New', '2026-11-20T09:20:00Z', 'olga', '2026-11-20T09:20:00Z')
            RETURNING id
            """, new { incidentId });
        await connection.ExecuteAsync("""
            INSERT INTO rumour_notes (rumour_id, at, author, from_status, to_status, note) VALUES
                (@claimRumourId, '2026-11-20T09:07:00Z', 'olga', NULL, 'New', 'Seen in several posts'),
                (@claimRumourId, '2026-11-20T09:15:00Z', 'olga', 'New', 'ConfirmedFalse', 'Highways: the bridge is standing, closed for inspection'),
                (@quietRumourId, '2026-11-20T09:20:00Z', 'olga', NULL, 'New', '');
            INSERT INTO rumour_posts (rumour_id, post_id, linked_at, linked_by) VALUES
                (@claimRumourId, @firstPostId + 3, '2026-11-20T09:07:00Z', 'olga'),
                (@quietRumourId, @firstPostId + 9, '2026-11-20T09:20:00Z', 'olga');
            INSERT INTO rumour_stories (rumour_id, story_id, linked_at, linked_by) VALUES (@claimRumourId, @storyA, '2026-11-20T09:08:00Z', 'olga');
            INSERT INTO rumour_suggestions (rumour_id, story_id, post_id, score, reason) VALUES (@claimRumourId, @storyB, @firstPostId + 4, 0.42, 'shares: river');
            """, new { claimRumourId, quietRumourId, storyA, storyB, firstPostId });

        var rebuttalId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rebuttals (incident_id, rumour_id, title, state, version, author, editors, approver, decision_comment, created_at, updated_at, decided_at)
            VALUES (@incidentId, @claimRumourId, 'The Mill Street bridge is standing', 'approved', 2, 'olga', '{olga}', 'abe', 'Good to go',
                    '2026-11-20T09:16:00Z', '2026-11-20T09:18:00Z', '2026-11-20T09:19:00Z')
            RETURNING id
            """, new { incidentId, claimRumourId });
        await connection.ExecuteAsync("""
            INSERT INTO rebuttal_versions (rebuttal_id, version, variants, edited_by, edited_at, note) VALUES
                (@rebuttalId, 1, '{"x": "The bridge has not collapsed.", "mastodon": "The Mill Street bridge has not collapsed."}', 'olga', '2026-11-20T09:16:00Z', NULL),
                (@rebuttalId, 2, '{"x": "The Mill Street bridge is standing; closed for inspection.", "mastodon": "The Mill Street bridge is standing. It is closed while engineers inspect it."}',
                 'olga', '2026-11-20T09:18:00Z', 'Say why it is closed');
            INSERT INTO rebuttal_templates (name, variants, created_by) VALUES ('Structure standing', '{"x": "{{structure}} is standing."}', 'olga');
            """, new { rebuttalId });

        var alertId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO alerts (incident_id, identifier, msg_type, cap_status, headline, cap_xml, state, author, editors, approver, created_at, updated_at, decided_at)
            VALUES (@incidentId, 'urn:oid:2.49.0.1.826.0.2026.11.20.1', 'Alert', 'Exercise', 'Flood warning: Riverside',
                    '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>urn:oid:2.49.0.1.826.0.2026.11.20.1</identifier><status>Exercise</status></alert>',
                    'approved', 'olga', '{olga}', 'abe', '2026-11-20T09:21:00Z', '2026-11-20T09:22:00Z', '2026-11-20T09:23:00Z')
            RETURNING id
            """, new { incidentId });
        await connection.ExecuteAsync("""
            INSERT INTO deliveries (incident_id, alert_id, channel, idempotency_key, status, attempts, retry_base, receipt, last_error, delivered_at) VALUES
                (@incidentId, @alertId, 'cap-feed', '3f1c8a52-7d1e-4b7a-9a55-0c5e1a2b3c01', 'succeeded', 1, 0, 'feed:1', NULL, '2026-11-20T09:23:01Z'),
                (@incidentId, @alertId, 'webhook', '3f1c8a52-7d1e-4b7a-9a55-0c5e1a2b3c02', 'failed', 3, 0, NULL, 'HTTP 503', NULL),
                (@incidentId, @alertId, 'mastodon', '3f1c8a52-7d1e-4b7a-9a55-0c5e1a2b3c03', 'pending', 0, 0, NULL, NULL, NULL);
            """, new { incidentId, alertId });

        // The event log, through the chain code (unchanged since): the actions and payload shapes that build wrote,
        // rumour.story-linked included (the action the old folder dropped).
        async Task Append(string actor, string action, object payload) => await EventLog.AppendOutsideContractAsync(dataSource, actor, action, incidentId, payload);
        await Append("olga", EventActions.IncidentOpened, new { name = "Riverside flood (drill)", keywords = new[] { "flood", "river" }, area = "Riverside", drill = true });
        await Append("olga", EventActions.DrillStarted, new { dataSet = "riverside-flood.jsonl", sourceId, speed = 10.0, maxGapSeconds = 5.0 });
        await Append("olga", EventActions.PostFlagged, new { postId = firstPostId + 3 });
        await Append("olga", EventActions.PostFlagged, new { postId = firstPostId + 7 });
        await Append("olga", EventActions.RumourCreated, new
        {
            rumourId = claimRumourId, claim = "The Mill Street bridge has collapsed", severity = "High", owner = "olga",
            keywords = new[] { "bridge", "collapsed" }, postIds = new[] { firstPostId + 3 }, storyIds = Array.Empty<long>(),
        });
        await Append("olga", EventActions.RumourStoryLinked, new { rumourId = claimRumourId, postId = (long?)null, storyId = storyA });
        await Append("olga", EventActions.RumourStatusChanged, new { rumourId = claimRumourId, from = "New", to = "ConfirmedFalse", note = "Highways: the bridge is standing, closed for inspection", version = 2 });
        await Append("olga", EventActions.RumourCreated, new
        {
            rumourId = quietRumourId, claim = "The dam upstream is leaking", severity = "Medium", owner = "olga",
            keywords = Array.Empty<string>(), postIds = new[] { firstPostId + 9 }, storyIds = Array.Empty<long>(),
        });
        var v1 = new Dictionary<string, string> { ["x"] = "The bridge has not collapsed.", ["mastodon"] = "The Mill Street bridge has not collapsed." };
        await Append("olga", EventActions.RebuttalDrafted, new { rebuttalId, rumourId = claimRumourId, title = "The Mill Street bridge is standing", version = 1, variants = v1 });
        await Append("olga", EventActions.RebuttalRevised, new { rebuttalId, version = 2, note = "Say why it is closed", variants = v1 });
        await Append("olga", EventActions.RebuttalSubmitted, new { rebuttalId, version = 2 });
        await Append("abe", EventActions.RebuttalApproved, new { rebuttalId, version = 2, author = "olga", comment = "Good to go" });
        const string identifier = "urn:oid:2.49.0.1.826.0.2026.11.20.1";
        await Append("olga", EventActions.AlertDrafted, new { alertId, identifier, msgType = "Alert", status = "Exercise", headline = "Flood warning: Riverside", threadRootId = (int?)null, references = Array.Empty<string>() });
        await Append("olga", EventActions.AlertSubmitted, new { alertId, identifier });
        await Append("abe", EventActions.AlertApproved, new { alertId, identifier, author = "olga", comment = (string?)null });
        var deliveryIds = (await connection.QueryAsync<long>("SELECT id FROM deliveries ORDER BY id")).ToList();
        await Append("abe", EventActions.AlertPublished, new
        {
            alertId, identifier, msgType = "Alert", status = "Exercise", sent = "2026-11-20T09:23:00+00:00", headline = "Flood warning: Riverside",
            references = Array.Empty<string>(), channels = new[] { "cap-feed", "webhook", "mastodon" }, deliveryIds,
        });
        await Append("system", EventActions.DeliverySucceeded, new { deliveryId = deliveryIds[0], channel = "cap-feed", receipt = "feed:1", alertId, identifier, rebuttalId = (int?)null, attempts = 1 });
        await Append("system", EventActions.DeliveryFailed, new { deliveryId = deliveryIds[1], channel = "webhook", error = "HTTP 503", permanent = false, attempts = 3, alertId, rebuttalId = (int?)null });

        var events = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events");
        return new OldDrill(incidentId, firstPostId, storyA, storyB, claimRumourId, quietRumourId, rebuttalId, alertId, events);
    }

    /// <summary>
    /// Each column's content, hashed over the whole table (every table but the migrator's own record, every column): a migration that drops a
    /// row, empties or rewrites a value, or drops the column changes its hash. <paramref name="columns"/>: the columns
    /// to hash (those that existed before the upgrade), or null for every column now.
    /// </summary>
    private static async Task<Dictionary<(string Table, string Column), string>> ContentByColumnAsync(
        NpgsqlDataSource dataSource, IEnumerable<(string Table, string Column)>? columns)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var wanted = columns?.ToList() ?? (await connection.QueryAsync<(string, string)>("""
            SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'schema_migrations' AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
            """)).ToList();
        var hashes = new Dictionary<(string, string), string>();
        foreach (var (table, column) in wanted)
        {
            string hash;
            try
            {
                hash = await connection.ExecuteScalarAsync<string>(
                    $"SELECT md5(coalesce(string_agg(coalesce(\"{column}\"::text, '<null>'), '|' ORDER BY coalesce(\"{column}\"::text, '<null>')), '')) || ':' || count(*) FROM \"{table}\"") ?? "";
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedTable)
            {
                hash = "gone";
            }
            hashes[(table, column)] = hash;
        }
        return hashes;
    }

    private static CrisisDeskDbContext NewContext(NpgsqlDataSource dataSource) =>
        new(new DbContextOptionsBuilder<CrisisDeskDbContext>().UseNpgsql(dataSource).Options);

    private static async Task ReadThroughTheDbContextAsync(NpgsqlDataSource dataSource, OldDrill drill)
    {
        await using var db = NewContext(dataSource);
        Assert.Equal(2, await db.Users.CountAsync());
        var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == drill.IncidentId);
        Assert.Equal(("Riverside flood (drill)", true, "flood,river"), (incident.Name, incident.IsDrill, string.Join(",", incident.Keywords)));
        var source = await db.Sources.AsNoTracking().SingleAsync();
        Assert.Equal(("replay", "40", 40L, 1L, 1L, 1L), (source.Kind, source.Cursor, source.PostsStored, source.EditsStored, source.DeletionsApplied, source.DeletionsUnmatched));
        Assert.Contains("riverside-flood.jsonl", source.Config, StringComparison.Ordinal);
        Assert.Null(source.RemovedAt);

        var rumour = await db.Rumours.AsNoTracking().SingleAsync(r => r.Id == drill.ClaimRumourId);
        Assert.Equal(("The Mill Street bridge has collapsed", "High", "ConfirmedFalse", 2, "bridge,collapsed"),
            (rumour.Claim, rumour.Severity, rumour.Status, rumour.Version, string.Join(",", rumour.Keywords)));
        Assert.NotEqual(0u, rumour.RowVersion);
        Assert.Equal(["Seen in several posts", "Highways: the bridge is standing, closed for inspection"],
            await db.RumourNotes.Where(n => n.RumourId == drill.ClaimRumourId).OrderBy(n => n.Id).Select(n => n.Note).ToListAsync());
        Assert.Equal([drill.StoryA], await db.RumourStories.Where(l => l.RumourId == drill.ClaimRumourId).Select(l => l.StoryId).ToListAsync());
        var suggestion = await db.RumourSuggestions.AsNoTracking().SingleAsync();
        Assert.Equal((drill.StoryB, "pending", 0.42), (suggestion.StoryId, suggestion.State, suggestion.Score));
        var marks = await db.PostTriage.AsNoTracking().OrderBy(t => t.PostId).ToListAsync();
        Assert.Equal([("olga", (string?)null), ("olga", "abe"), (null, "olga")], marks.Select(m => (m.FlaggedBy, m.ReviewedBy)).ToList());
        var storyA = await db.Stories.AsNoTracking().SingleAsync(s => s.Id == drill.StoryA);
        Assert.Equal(10, storyA.Size);

        var rebuttal = await db.Rebuttals.AsNoTracking().SingleAsync(r => r.Id == drill.RebuttalId);
        Assert.Equal(("approved", 2, "abe", drill.ClaimRumourId), (rebuttal.State, rebuttal.Version, rebuttal.Approver, rebuttal.RumourId ?? 0));
        var latest = await db.RebuttalVersions.AsNoTracking().SingleAsync(v => v.RebuttalId == drill.RebuttalId && v.Version == 2);
        Assert.Contains("closed while engineers inspect it", latest.Variants, StringComparison.Ordinal);
        Assert.Equal("Say why it is closed", latest.Note);
        Assert.Equal("Structure standing", (await db.RebuttalTemplates.AsNoTracking().SingleAsync()).Name);

        var alert = await db.Alerts.AsNoTracking().SingleAsync(a => a.Id == drill.AlertId);
        Assert.Equal(("approved", "Flood warning: Riverside", "olga", "abe"), (alert.State, alert.Headline, string.Join(",", alert.Editors), alert.Approver));
        Assert.StartsWith("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">", alert.CapXml, StringComparison.Ordinal);
        var deliveries = await db.Deliveries.AsNoTracking().OrderBy(d => d.Id).ToListAsync();
        Assert.Equal([("cap-feed", "succeeded", "feed:1"), ("webhook", "failed", null), ("mastodon", "pending", null)],
            deliveries.Select(d => (d.Channel, d.Status, d.Receipt)).ToList());
    }

    private static async Task ReadThroughTodaysQueriesAsync(NpgsqlDataSource dataSource, OldDrill drill)
    {
        // The feed, its search (post_search written by the old indexer) and its triage marks.
        var contexts = CrisisDeskDbContext.FactoryOver(dataSource);
        var triage = new TriageQueries(dataSource, contexts);
        var (count, maxId) = await triage.HeadAsync(drill.IncidentId, TriageFilter.None);
        Assert.Equal((DrillPosts, drill.FirstPostId + DrillPosts - 1), (count, maxId));
        var page = await triage.PageAsync(drill.IncidentId, TriageFilter.None, maxId, 0, 50);
        Assert.Equal(DrillPosts, page.Count);
        Assert.Equal([drill.FirstPostId + 3, drill.FirstPostId + 7], page.Where(p => p.Flagged).Select(p => p.Id).Order().ToList());
        Assert.NotNull(page.Single(p => p.Id == drill.FirstPostId + 1).EditedAt);
        Assert.NotNull(page.Single(p => p.Id == drill.FirstPostId + 2).DeletedAt);
        var bridge = new TriageFilter(Search: "bridge collapsed");
        Assert.Equal(10, (await triage.HeadAsync(drill.IncidentId, bridge)).Count);
        Assert.Equal(["Water rising fast on Quay Road, post 2 (edited)", "Water rising on Quay Road, post 2"], // newest first
            (await triage.VersionsAsync(drill.FirstPostId + 1)).Select(v => v.Text).ToList());

        // The rumour board.
        var rumours = new RumourQueries(contexts);
        var board = await rumours.BoardAsync(drill.IncidentId);
        var claim = board.Single(c => c.Rumour.Id == drill.ClaimRumourId);
        // Its own post (in story A) plus story A's ten members: ten posts, one story, one pending suggestion.
        Assert.Equal((10L, 1L, 1L), (claim.LinkedPosts, claim.LinkedStories, claim.PendingSuggestions));
        Assert.Equal((1L, 0L, 0L), board.Where(c => c.Rumour.Id == drill.QuietRumourId).Select(c => (c.LinkedPosts, c.LinkedStories, c.PendingSuggestions)).Single());
        Assert.Equal(["ConfirmedFalse", "New"], (await rumours.NotesAsync(drill.ClaimRumourId)).Select(n => n.ToStatus).ToList());
        Assert.Equal(drill.StoryA, Assert.Single(await rumours.LinkedStoriesAsync(drill.ClaimRumourId)).Id);
        Assert.Equal(drill.RebuttalId, (await rumours.RebuttalsAsync(drill.IncidentId))[drill.ClaimRumourId].Id);

        // Replay and the report: the old event log folds into the same state the rows hold.
        var replay = new ReplayQueries(dataSource, contexts);
        var asOf = new DateTimeOffset(2026, 11, 20, 9, 10, 30, TimeSpan.Zero);
        var asOfPosts = await replay.PostsAsOfAsync(drill.IncidentId, asOf, 0, 100);
        Assert.Equal(10, asOfPosts.Count); // received 09:01:05 … 09:10:05
        var report = await new IncidentReports(dataSource, replay, new EnquiryQueries(contexts)).LoadAsync(drill.IncidentId);
        Assert.NotNull(report);
        var folded = report.Final.Rumours.Single(r => r.Id == drill.ClaimRumourId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("ConfirmedFalse", drill.StoryA), (folded.Status, Assert.Single(folded.StoryIds)));
        Assert.Equal([drill.FirstPostId + 3, drill.FirstPostId + 7], report.Final.FlaggedPosts.Keys.Order().ToList());
        Assert.Equal("approved", Assert.Single(report.Final.Rebuttals).Status);
        Assert.Single(report.Final.Alerts);
        Assert.Equal(drill.Events, report.Timeline.Events.Count);
    }
}
