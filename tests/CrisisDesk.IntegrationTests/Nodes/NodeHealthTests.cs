using System.Net;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>Liveness, readiness per role, and the Prometheus endpoint with CrisisDesk's own meters.</summary>
public sealed class NodeHealthTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task An_ingest_node_is_live_content_free_and_ready_once_its_lease_round_runs()
    {
        await using var node = new NodeFactory(database.ConnectionString, "ingest").Start();
        var client = node.CreateClient();

        var live = await client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("", await live.Content.ReadAsStringAsync());

        var ready = await EventuallyAsync(client, "/healthz/ready", body => body.Contains("\"ingest-leases\":\"Healthy\"", StringComparison.Ordinal));
        Assert.Equal("""{"status":"Healthy","checks":{"database":"Healthy","ingest-leases":"Healthy"}}""", ready);
    }

    [Fact]
    public async Task A_web_node_without_its_hub_is_still_ready_but_says_degraded_and_recovers_when_the_hub_comes()
    {
        await using var ingest = new NodeFactory(database.ConnectionString, "ingest", listen: true).Start();
        await using var proxy = new CuttableProxy(ingest.Address);
        proxy.Cut();
        await using var web = new NodeFactory(database.ConnectionString, "web", new Dictionary<string, string?>
        {
            ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(proxy.Address, "/hubs/feed").ToString(),
        }).Start();
        var client = web.CreateClient();

        var degraded = await client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        Assert.Equal("""{"status":"Degraded","checks":{"database":"Healthy","feed-hub":"Degraded"}}""", await degraded.Content.ReadAsStringAsync());

        proxy.Resume();
        await EventuallyAsync(client, "/healthz/ready", body => body == """{"status":"Healthy","checks":{"database":"Healthy","feed-hub":"Healthy"}}""");
    }

    [Fact]
    public async Task Prometheus_scrapes_crisisdesks_meters_when_asked_for()
    {
        await using var node = new NodeFactory(database.ConnectionString, "web,ingest", new Dictionary<string, string?>
        {
            ["CrisisDesk:Telemetry:Prometheus"] = "true",
        }).Start();
        var (incidentId, sourceId) = await database.NewIncidentAsync("Metrics");
        var item = new RawItem(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(new Post
        {
            Platform = "x", ExternalId = "metric-1", CreatedAt = DateTimeOffset.UtcNow, Text = "Roads closed",
        })), "1");
        await node.Services.GetRequiredService<IngestPipeline>().RunAsync(new SourceRun(sourceId, incidentId, new ListSource([item]), null), CancellationToken.None);

        var client = node.CreateClient();
        await EventuallyAsync(client, "/metrics", body => body.Contains("crisisdesk_hub_batches_pushed", StringComparison.Ordinal)
            && body.Contains("http_server_request_duration_seconds", StringComparison.Ordinal));

        await using var off = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        Assert.NotEqual(HttpStatusCode.OK, (await off.CreateClient().GetAsync("/metrics")).StatusCode);
    }

    private static async Task<string> EventuallyAsync(HttpClient client, string path, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var body = await (await client.GetAsync(path)).Content.ReadAsStringAsync();
            if (condition(body))
                return body;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{path} never matched; last: {body}");
            await Task.Delay(200);
        }
    }
}
