using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// A page of another origin (here another port of the same host) cannot make a signed-in person's browser change
/// anything: every kind of command is refused without this site's origin and the script header or a form token, and
/// a body of a type its route does not document is refused with 415. From this site's own origin each works.
/// </summary>
public sealed class CrossSiteRequestTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private const string OtherOrigin = "http://127.0.0.1:8081";
    private const string OwnOrigin = "http://localhost";

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content, string? origin, bool scriptHeader)
    {
        // The client sends no script header of its own (asScript: false): a cross-site page cannot add one.
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (origin is not null)
            request.Headers.Add("Origin", origin);
        if (scriptHeader)
            request.Headers.Add("X-CrisisDesk-Request", "1");
        return await client.SendAsync(request);
    }

    private async Task<long> NewPostAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Cross-site target') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'replay', 'test') RETURNING id", new { incidentId });
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, text)
            VALUES (@incidentId, @sourceId, 'x', @externalId, now(), now(), 'someone', 'Bridge closed') RETURNING id
            """, new { incidentId, sourceId, externalId = Guid.NewGuid().ToString("N") });
    }

    private async Task<int> FlagsAsync(long postId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'post.flagged' AND (payload->>'postId')::bigint = @postId", new { postId });
    }

    private static StringContent Cap(string mediaType) => new(CapXml.Write(AlertSamples.Flood()), Encoding.UTF8, mediaType);

    /// <summary>The admin's browser: their cookie, and no script header unless a request adds it.</summary>
    private async Task<HttpClient> AdminAsync() => await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword, asScript: false);

    private async Task<HttpClient> ScriptAsync() => await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Flagging_a_post_from_another_origin_is_refused_and_from_this_one_works(bool scriptHeader)
    {
        var client = await AdminAsync();
        var postId = await NewPostAsync();

        var crossSite = await SendAsync(client, HttpMethod.Post, $"/api/posts/{postId}/flag", null, OtherOrigin, scriptHeader);

        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(0, await FlagsAsync(postId));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client, HttpMethod.Post, $"/api/posts/{postId}/flag", null, OwnOrigin, scriptHeader: true)).StatusCode);
        Assert.Equal(1, await FlagsAsync(postId));
    }

    [Fact]
    public async Task A_command_without_the_script_header_or_a_form_token_is_refused_even_without_an_origin()
    {
        var client = await AdminAsync();
        var postId = await NewPostAsync();

        var response = await SendAsync(client, HttpMethod.Post, $"/api/posts/{postId}/flag", new StringContent("", Encoding.UTF8, "text/plain"), origin: null, scriptHeader: false);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("X-CrisisDesk-Request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await FlagsAsync(postId));
    }

    [Fact]
    public async Task A_cross_site_page_in_a_browser_that_only_sends_fetch_metadata_is_refused()
    {
        var client = await AdminAsync();
        var postId = await NewPostAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/posts/{postId}/flag");
        request.Headers.Add("Sec-Fetch-Site", "same-site");
        request.Headers.Add("X-CrisisDesk-Request", "1");

        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Drafting_an_alert_as_text_plain_is_refused_cross_site_and_is_415_from_this_site()
    {
        var client = await AdminAsync();
        var incident = await (await (await ScriptAsync()).PostAsJsonAsync("/api/incidents", new { name = "Cross-site alert" })).Content.ReadFromJsonAsync<JsonElement>();
        var path = $"/api/incidents/{incident.GetProperty("id").GetInt32()}/alerts";

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, path, Cap("text/plain"), OtherOrigin, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync(client, HttpMethod.Post, path, Cap("text/plain"), OwnOrigin, scriptHeader: true)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, path, Cap(CapXml.MediaType), OwnOrigin, scriptHeader: true)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, HttpMethod.Post, path, Cap("application/xml"), OwnOrigin, scriptHeader: true)).StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM alerts WHERE incident_id = @id", new { id = incident.GetProperty("id").GetInt32() }));
    }

    [Fact]
    public async Task Json_routes_take_json_and_bodiless_commands_take_no_body_or_json()
    {
        var client = await ScriptAsync();
        var postId = await NewPostAsync();

        var form = await client.PostAsync("/api/incidents", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "Form incident" }));
        var textBody = await client.PostAsync($"/api/posts/{postId}/review", new StringContent("x", Encoding.UTF8, "text/plain"));
        var emptyJson = await client.PostAsync($"/api/posts/{postId}/review", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, textBody.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, emptyJson.StatusCode);
    }

    [Fact]
    public async Task Approving_from_another_origin_is_refused_and_from_this_one_works()
    {
        var (op, password) = await app.CreateUserAsync(Roles.Operator);
        var writer = await app.SignedInClientAsync(op, password);
        var approver = await AdminAsync();
        var incident = await (await writer.PostAsJsonAsync("/api/incidents", new { name = "Cross-site approval" })).Content.ReadFromJsonAsync<JsonElement>();
        var drafted = await writer.PostAsync($"/api/incidents/{incident.GetProperty("id").GetInt32()}/alerts", Cap(CapXml.MediaType));
        var alertId = (await drafted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(approver, HttpMethod.Post, $"/api/alerts/{alertId}/approve", null, OtherOrigin, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(approver, HttpMethod.Post, $"/api/alerts/{alertId}/approve", null, OtherOrigin, scriptHeader: true)).StatusCode);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
            Assert.Equal("submitted", await connection.ExecuteScalarAsync<string>("SELECT state FROM alerts WHERE id = @alertId", new { alertId }));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(approver, HttpMethod.Post, $"/api/alerts/{alertId}/approve", null, OwnOrigin, scriptHeader: true)).StatusCode);
    }

    [Fact]
    public async Task Stopping_and_starting_a_source_from_another_origin_is_refused_and_from_this_one_works()
    {
        var client = await AdminAsync();
        int sourceId;
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
            sourceId = await connection.ExecuteScalarAsync<int>("SELECT id FROM sources WHERE incident_id = 1 ORDER BY id LIMIT 1");
        var path = $"/api/incidents/1/sources/{sourceId}";

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, path + "/stop", null, OtherOrigin, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, path + "/start", null, OtherOrigin, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Post, path + "/stop", null, OwnOrigin, scriptHeader: true)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Post, path + "/start", null, OwnOrigin, scriptHeader: true)).StatusCode);
    }

    [Fact]
    public async Task Signing_out_from_another_origin_is_refused_and_from_this_one_works()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password, asScript: false);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, "/account/logout", null, OtherOrigin, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Post, "/account/logout", null, origin: null, scriptHeader: false)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/incidents")).StatusCode);

        var own = await SendAsync(client, HttpMethod.Post, "/account/logout", null, OwnOrigin, scriptHeader: true);
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/incidents")).StatusCode);
    }
}
