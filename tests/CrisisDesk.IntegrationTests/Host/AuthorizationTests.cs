using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Data.Events;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

public sealed class AuthorizationTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/incidents/1")]
    [InlineData("/admin/users")]
    public async Task Anonymous_pages_are_sent_to_the_sign_in_page(string path)
    {
        var response = await app.NewClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/", "Drill: Germanwings 9525 (PHEME replay)")]
    [InlineData("/incidents/1", "Drill: Germanwings 9525 (PHEME replay)")]
    public async Task A_viewer_sees_the_pages_rendered(string path, string expected)
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_incident_with_no_posts_yet_has_a_war_room()
    {
        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(operatorName, password);
        var created = await client.PostAsJsonAsync("/api/incidents", new { name = "Quiet so far" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var response = await client.GetAsync($"/incidents/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Quiet so far", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_api_calls_are_refused_with_401()
    {
        var response = await app.NewClient().GetAsync("/api/incidents");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_viewer_cannot_open_an_incident_and_the_refusal_is_recorded()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var response = await client.PostAsJsonAsync("/api/incidents", new { name = "Viewer's flood", keywords = new[] { "flood" } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM incidents WHERE name = 'Viewer''s flood'"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @viewer AND payload->>'action' = 'open an incident'", new { viewer }));
    }

    [Fact]
    public async Task An_operator_opens_an_incident_with_its_event_in_the_same_transaction()
    {
        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(operatorName, password);

        var response = await client.PostAsJsonAsync("/api/incidents", new { name = "River Wey flooding", keywords = new[] { "flood", "#wey" }, area = "Guildford" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var opened = await connection.QuerySingleAsync<(string Actor, string Name)>(
            "SELECT actor, payload->>'name' FROM events WHERE action = 'incident.opened' AND incident_id = @id", new { id });
        Assert.Equal((operatorName, "River Wey flooding"), opened);
    }

    [Fact]
    public async Task A_viewer_is_refused_the_admin_pages()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var response = await client.GetAsync("/admin/users");

        // Signed in but not allowed: sent to the access-denied path rather than shown the page.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("Users and roles", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_endpoint_states_who_may_call_it()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        // Blazor's own framework endpoints (its script, the circuit hub) and the development-time static file fallback
        // carry no content of ours; each page is authorised by its [Authorize].
        static bool IsFramework(RouteEndpoint e) => e.RoutePattern.RawText is { } p
            && (p.StartsWith("/_blazor", StringComparison.Ordinal) || p.StartsWith("_blazor", StringComparison.Ordinal)
                || p.Contains("_framework", StringComparison.Ordinal) || p == "{**path:file}");
        var unstated = endpoints
            .Where(e => !IsFramework(e))
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && e.Metadata.GetMetadata<IAuthorizeData>() is null)
            .Select(e => e.RoutePattern.RawText)
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.Empty(unstated);
    }

    [Fact]
    public async Task Anonymous_health_says_only_up_or_down_and_the_detail_needs_a_signed_in_user()
    {
        var anonymous = app.NewClient();
        var response = await anonymous.GetAsync("/healthz");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Up or down and nothing else: no incident or source ids, no source names, no internal addresses in errors.
        Assert.Equal("""{"status":"healthy"}""", body);

        var refused = await anonymous.GetAsync("/healthz/detail");
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        Assert.DoesNotContain("replay", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_detail_for_a_viewer_answers_without_content_or_credentials()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);
        var response = await client.GetAsync("/healthz/detail");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = JsonDocument.Parse(body).RootElement;
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.True(health.GetProperty("database").GetProperty("reachable").GetBoolean());
        var drill = Assert.Single(health.GetProperty("sources").EnumerateArray());
        Assert.Equal("replay", drill.GetProperty("kind").GetString());
        Assert.DoesNotContain("Password", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(app.Database.Name, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_event_chain_links_after_real_actions_and_detects_an_edit()
    {
        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(operatorName, password);
        await client.PostAsJsonAsync("/api/incidents", new { name = "Chain check incident" });

        Assert.Null(await EventLog.VerifyAsync(app.Database.DataSource));

        // Tamper as a database superuser would: switch off the append-only trigger and rewrite one payload.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var seq = await connection.ExecuteScalarAsync<long>("SELECT seq FROM events WHERE action = 'incident.opened' AND payload->>'name' = 'Chain check incident'");
        await connection.ExecuteAsync("ALTER TABLE events DISABLE TRIGGER events_no_update; UPDATE events SET payload = '{\"name\":\"Something else\"}' WHERE seq = @seq; ALTER TABLE events ENABLE TRIGGER events_no_update;", new { seq });
        var broken = await EventLog.VerifyAsync(app.Database.DataSource);
        // Put it back for the other tests of this class, which share the database.
        await connection.ExecuteAsync("ALTER TABLE events DISABLE TRIGGER events_no_update; UPDATE events SET payload = '{\"name\":\"Chain check incident\",\"keywords\":[],\"area\":null}' WHERE seq = @seq; ALTER TABLE events ENABLE TRIGGER events_no_update;", new { seq });

        Assert.NotNull(broken);
        Assert.Equal(seq, broken.Seq);
        Assert.Contains("altered", broken.Problem, StringComparison.Ordinal);
    }
}
