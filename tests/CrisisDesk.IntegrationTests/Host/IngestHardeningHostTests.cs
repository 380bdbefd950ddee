using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Xml;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// Hostile and real-world documents against the real host: a CAP alert nested 150,000 deep is a 400 and the server
/// stays up; a feed redirecting to file:// leaves its source running and its test answers with the problem; a
/// cap-feed source pointed at one CAP document stores it.
/// </summary>
public sealed class IngestHardeningHostTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>, IAsyncLifetime
{
    private FakeServer _feeds = null!;
    private int _redirects;
    private static readonly string SingleAlert = CapXml.Write(AlertSamples.Flood() with { Identifier = "agency-2026-0007", Sender = "alerts@agency.example.gov" });

    public async Task InitializeAsync() => _feeds = await FakeServer.StartAsync(feeds =>
    {
        feeds.MapGet("/to-file.rss", (HttpContext context) =>
        {
            Interlocked.Increment(ref _redirects);
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = "file:///etc/passwd";
        });
        feeds.MapGet("/alert.cap", () => Results.Text(SingleAlert, CapXml.MediaType, Encoding.UTF8));
    });

    public async Task DisposeAsync() => await _feeds.DisposeAsync();

    private async Task<HttpClient> AdminAsync() => await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

    private static async Task<int> OpenIncidentAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/api/incidents", new { name, keywords = new[] { "flood" } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("<b>", depth)) + "deep" + string.Concat(Enumerable.Repeat("</b>", depth));

    private static StringContent AlertWithDescription(string inner) => new(
        CapXml.Write(AlertSamples.Flood() with { Infos = [AlertSamples.Flood().Infos[0] with { Description = "MARKER" }] })
            .Replace("MARKER", inner, StringComparison.Ordinal), Encoding.UTF8, CapXml.MediaType);

    [Fact]
    public async Task A_cap_alert_nested_150000_deep_is_a_400_with_the_reason_and_the_server_stays_up()
    {
        var (user, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(user, password);
        var incidentId = await OpenIncidentAsync(await AdminAsync(), "Deep alert");

        var deep = await client.PostAsync($"/api/incidents/{incidentId}/alerts", AlertWithDescription(Nested(150_000)));
        var markup = await client.PostAsync($"/api/incidents/{incidentId}/alerts", AlertWithDescription("Water is <b>rising</b>"));

        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        var problem = await deep.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith($"The body is not a CAP 1.2 document: refused: the document nests elements more than {SafeXml.MaxElementDepth} deep",
            problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, markup.StatusCode);
        Assert.Contains("info[1].description: description holds the element <b>", (await markup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Still up, and nothing was drafted.
        var alerts = await client.GetAsync($"/api/incidents/{incidentId}/alerts");
        Assert.Equal(HttpStatusCode.OK, alerts.StatusCode);
        Assert.Empty((await alerts.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        var created = await client.PostAsync($"/api/incidents/{incidentId}/alerts", AlertWithDescription("Water is rising"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task Testing_a_feed_that_redirects_to_file_answers_with_the_problem_not_a_500()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Redirect test");

        var response = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test",
            new { kind = "rss", name = "Redirects", config = new { url = new Uri(_feeds.Address, "to-file.rss").ToString() } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(result.GetProperty("passed").GetBoolean());
        Assert.Contains("redirected to a non-http(s) address (file:///etc/passwd)", result.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_feed_that_redirects_to_file_stays_running_and_degraded_with_the_reason()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Redirecting feed");
        var sourceId = await AddSourceAsync(admin, incidentId, new { kind = "rss", name = "Redirects", config = new { url = new Uri(_feeds.Address, "to-file.rss").ToString(), pollIntervalSeconds = 10 } });
        var monitor = app.Services.GetRequiredService<SourceMonitor>();

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null)).StatusCode);
        var status = await EventuallyAsync(() => monitor.Get(sourceId) is { State: SourceState.Degraded } s ? s : null, "the source reports Degraded");

        Assert.Contains("redirected to a non-http(s) address (file:///etc/passwd)", status.Detail, StringComparison.Ordinal);
        // It polls again (the shortest interval allowed is 10 s) and is still Degraded, not Failed: the source is alive.
        var polled = Volatile.Read(ref _redirects);
        await EventuallyAsync(() => Volatile.Read(ref _redirects) > polled ? "polled again" : null, "the source polls again");
        Assert.True(app.Services.GetRequiredService<IngestHost>().IsRunning(sourceId));
        Assert.Equal(SourceState.Degraded, monitor.Get(sourceId)!.State);
        await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/stop", null);
    }

    [Fact]
    public async Task A_cap_feed_source_given_a_single_cap_document_stores_the_alert()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Single CAP document");
        var url = new Uri(_feeds.Address, "alert.cap").ToString();

        var test = await (await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", new { kind = "cap-feed", name = "Agency", config = new { url } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(test.GetProperty("passed").GetBoolean(), test.ToString());
        var sourceId = await AddSourceAsync(admin, incidentId, new { kind = "cap-feed", name = "Agency", config = new { url } });
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null)).StatusCode);

        var stored = await EventuallyAsync(async () =>
        {
            await using var connection = await app.Database.DataSource.OpenConnectionAsync();
            return await connection.QuerySingleOrDefaultAsync<string?>(
                "SELECT platform || ' ' || external_id FROM posts WHERE source_id = @sourceId", new { sourceId });
        }, "the alert is stored");

        Assert.Equal("cap alerts@agency.example.gov,agency-2026-0007", stored);
        Assert.NotEqual(SourceState.Failed, app.Services.GetRequiredService<SourceMonitor>().Get(sourceId)!.State);
        await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/stop", null);
    }

    private static async Task<int> AddSourceAsync(HttpClient admin, int incidentId, object request)
    {
        var response = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : class =>
        EventuallyAsync(() => Task.FromResult(probe()), what);

    /// <summary>Polls for a fact, with a generous guard against hanging; fails naming what never happened.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        for (var i = 0; i < 600; i++)
        {
            if (await probe() is { } value)
                return value;
            await Task.Delay(100);
        }
        throw new TimeoutException("Never happened: " + what);
    }
}
