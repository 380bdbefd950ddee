using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Core.Review;
using CrisisDesk.Data.Events;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Review;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrisisDesk.IntegrationTests.Review;

/// <summary>Audit view, verification, replay "as of T" and exports through the real host.</summary>
public sealed class ReviewHostTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    /// <summary>An incident with 30 posts arriving one a minute from <see cref="T0"/> (ids returned in arrival order).</summary>
    private async Task<(int IncidentId, long[] PostIds)> IncidentWithPostsAsync(string name)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name, opened_at) VALUES (@name, @T0) RETURNING id", new { name, T0 });
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'replay', 'test') RETURNING id", new { incidentId });
        var ids = new long[30];
        for (var i = 0; i < 30; i++)
            ids[i] = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, text)
                VALUES (@incidentId, @sourceId, 'x', @externalId, @at, @at, 'someone', @text) RETURNING id
                """, new { incidentId, sourceId, externalId = $"p{i}", at = T0.AddMinutes(i), text = $"post {i} <b>bold</b>" });
        return (incidentId, ids);
    }

    /// <summary>Events are stamped with the time they are appended; a test reads back the time each one got.</summary>
    private async Task<DateTimeOffset> TimeOfAsync(long seq)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return new DateTimeOffset(DateTime.SpecifyKind(await connection.ExecuteScalarAsync<DateTime>("SELECT at FROM events WHERE seq = @seq", new { seq }), DateTimeKind.Utc));
    }

    [Fact]
    public async Task Sign_ins_failures_and_refusals_are_in_the_audit_view_and_filter_by_person_action_incident_and_time()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var viewerClient = await app.SignedInClientAsync(viewer, password);
        await CrisisDeskFactory.SignInAsync(app.NewClient(), viewer, "wrong-password-entirely");
        await viewerClient.PostAsJsonAsync("/api/incidents", new { name = "Not allowed" });
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var approverClient = await app.SignedInClientAsync(approver, approverPassword);

        var mine = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}");
        var actions = mine.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("account.signed-in", actions);
        Assert.Contains("account.sign-in-failed", actions);
        Assert.Contains("authorization.denied", actions);
        var seqs = mine.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.OrderByDescending(s => s), seqs);

        var onlyAccount = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}&action=account");
        Assert.All(onlyAccount.GetProperty("events").EnumerateArray(), e => Assert.StartsWith("account.", e.GetProperty("action").GetString(), StringComparison.Ordinal));

        var future = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}");
        Assert.Empty(future.GetProperty("events").EnumerateArray());

        var (incidentId, _) = await IncidentWithPostsAsync("Audit filter incident");
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-audit", "rumour.created", incidentId, new { rumourId = "r1", claim = "x" });
        var ofIncident = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?incidentId={incidentId}");
        Assert.Equal("rumour.created", Assert.Single(ofIncident.GetProperty("events").EnumerateArray()).GetProperty("action").GetString());

        // Paging: one event per page, continued by nextBefore, newest first and without overlap.
        var first = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}&pageSize=1");
        var next = first.GetProperty("nextBefore").GetInt64();
        var second = await approverClient.GetFromJsonAsync<JsonElement>($"/api/audit?actor={viewer}&pageSize=1&before={next}");
        Assert.Equal(seqs[1], Assert.Single(second.GetProperty("events").EnumerateArray()).GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task A_viewer_cannot_read_the_audit_view_an_approver_cannot_verify_and_an_admin_verification_is_recorded()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var viewerClient = await app.SignedInClientAsync(viewer, password);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewerClient.GetAsync("/api/audit")).StatusCode);

        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var approverClient = await app.SignedInClientAsync(approver, approverPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await approverClient.PostAsync("/api/audit/verify", null)).StatusCode);

        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var response = await admin.PostAsync("/api/audit/verify", null);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(result.GetProperty("holds").GetBoolean());
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @approver AND payload->>'action' = 'verify the audit log'", new { approver }));
        Assert.True(await connection.ExecuteScalarAsync<bool>(
            "SELECT (payload->>'holds')::boolean FROM events WHERE action = 'audit.verified' AND actor = @admin ORDER BY seq DESC LIMIT 1", new { admin = CrisisDeskFactory.AdminUser }));
    }

    [Fact]
    public async Task Replay_as_of_a_moment_shows_the_posts_received_and_the_rumour_status_then()
    {
        var (incidentId, postIds) = await IncidentWithPostsAsync("Replay incident");
        var created = await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-a", "rumour.created", incidentId, new { rumourId = "r7", claim = "The bridge collapsed", severity = "high", postIds = new[] { postIds[2] } });
        var changed = await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-b", "rumour.status-changed", incidentId, new { rumourId = "r7", from = "open", to = "debunked", note = "engineers on site" });
        var createdAt = await TimeOfAsync(created);
        var changedAt = await TimeOfAsync(changed);
        var queries = app.Services.GetRequiredService<ReplayQueries>();
        var timeline = (await queries.TimelineAsync(incidentId))!;

        // Posts by arrival: 11 had arrived by T0+10 min (0..10), newest first.
        var asOf = T0.AddMinutes(10).AddSeconds(30);
        Assert.Equal(11, await queries.CountAsOfAsync(incidentId, timeline.Volume, asOf));
        Assert.Equal(11, await queries.CountAsOfAsync(incidentId, timeline.Volume, T0.AddMinutes(10)));
        var page = await queries.PostsAsOfAsync(incidentId, asOf, 0, 3);
        Assert.Equal([postIds[10], postIds[9], postIds[8]], page.Select(p => p.Id));
        Assert.Equal(30, await queries.CountAsOfAsync(incidentId, timeline.Volume, changedAt));

        // The rumour as it stood: absent before it was created, open at its creation, debunked once changed.
        Assert.Empty(IncidentStateFolder.Fold(timeline.Events, createdAt.AddTicks(-10)).Rumours);
        Assert.Equal("open", Assert.Single(IncidentStateFolder.Fold(timeline.Events, createdAt).Rumours).Status);
        Assert.Equal("debunked", Assert.Single(IncidentStateFolder.Fold(timeline.Events, changedAt).Rumours).Status);
        Assert.Equal(T0, timeline.Start);
    }

    [Fact]
    public async Task Reports_and_data_export_as_html_markdown_csv_and_json_and_each_export_is_recorded()
    {
        var (incidentId, postIds) = await IncidentWithPostsAsync("Export incident");
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-a", "rumour.created", incidentId, new { rumourId = "r1", claim = "Dam <burst>", postIds = new[] { postIds[0], postIds[1] } });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-a", "rebuttal.drafted", incidentId, new { rebuttalId = "b1", rumourId = "r1" });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "approver-b", "rebuttal.approved", incidentId, new { rebuttalId = "b1", rumourId = "r1" });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-a", "alert.drafted", incidentId, new { alertId = "a1", identifier = "urn:x:1", msgType = "Alert", status = "Actual", headline = "Evacuate" });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "approver-b", "alert.published", incidentId, new { alertId = "a1" });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "system", "delivery.succeeded", incidentId, new { deliveryId = "d1", alertId = "a1", channel = "atom", receipt = "feed-entry-9" });
        await EventLog.AppendOutsideContractAsync(app.Database.DataSource, "op-a", "story.merged", incidentId, new { storyId = 4 });
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);
        var api = $"/api/review/incidents/{incidentId}";

        var html = await client.GetStringAsync($"{api}/report.html");
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("Dam &lt;burst&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Dam <burst>", html, StringComparison.Ordinal);
        Assert.Contains("feed-entry-9", html, StringComparison.Ordinal);
        Assert.Contains("story.merged", html, StringComparison.Ordinal);

        var markdown = await client.GetStringAsync($"{api}/report.md");
        Assert.StartsWith("# Incident report: Export incident", markdown, StringComparison.Ordinal);
        Assert.Contains("Dam &lt;burst&gt;", markdown, StringComparison.Ordinal);

        var csv = await client.GetAsync($"{api}/data.csv?table=posts");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("30", csv.Headers.GetValues("X-Export-Rows").Single());
        Assert.Equal(31, lines.Length);
        Assert.StartsWith("id,platform,external_id", lines[0], StringComparison.Ordinal);

        var deliveries = await client.GetStringAsync($"{api}/data.csv?table=deliveries");
        Assert.Contains("d1,a1,atom,succeeded,feed-entry-9", deliveries, StringComparison.Ordinal);

        var json = JsonDocument.Parse(await client.GetStringAsync($"{api}/data.json")).RootElement;
        Assert.Equal(30, json.GetProperty("posts").GetArrayLength());
        Assert.Equal("approved", json.GetProperty("rebuttals")[0].GetProperty("status").GetString());
        Assert.Equal("Evacuate", json.GetProperty("alerts")[0].GetProperty("headline").GetString());
        Assert.Equal(1, json.GetProperty("stories").GetArrayLength());
        Assert.Equal(2, json.GetProperty("metrics").GetProperty("rumours")[0].GetProperty("linkedPosts").GetInt32());

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"{api}/data.csv?table=secrets")).StatusCode);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var exports = (await connection.QueryAsync<(string Format, string? Table, long Rows)>(
            "SELECT payload->>'format', payload->>'table', (payload->>'rows')::bigint FROM events WHERE action = 'report.exported' AND actor = @viewer ORDER BY seq",
            new { viewer })).ToList();
        // Each export is itself an event of the incident, so later reports count the earlier exports among its actions.
        Assert.Equal([("html", null, 7L), ("md", null, 8L), ("csv", "posts", 30L), ("csv", "deliveries", 1L), ("json", null, 30L + 11L)], exports);
    }

    [Fact]
    public async Task The_replay_page_renders_for_a_viewer_and_the_audit_page_for_an_approver_only()
    {
        var (incidentId, _) = await IncidentWithPostsAsync("Rendered replay");
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var viewerClient = await app.SignedInClientAsync(viewer, password);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var approverClient = await app.SignedInClientAsync(approver, approverPassword);

        var replay = await viewerClient.GetStringAsync($"/review/{incidentId}?at={Uri.EscapeDataString(T0.AddMinutes(4).AddSeconds(30).ToString("O"))}");
        Assert.Contains("Replay: Rendered replay", replay, StringComparison.Ordinal);
        Assert.Matches("data-testid=\"replay-count\"[^>]*>5<", replay); // 5 posts had arrived by 09:04:30
        Assert.Equal(HttpStatusCode.Redirect, (await viewerClient.GetAsync("/admin/audit")).StatusCode);
        Assert.Contains("Audit log", await approverClient.GetStringAsync("/admin/audit"), StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_is_off_unless_configured()
    {
        Assert.Null(app.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.PostDays);
    }
}
