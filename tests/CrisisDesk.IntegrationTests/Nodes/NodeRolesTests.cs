using System.Net;
using System.Net.Http.Headers;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Nodes;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary><c>CrisisDesk:Roles</c>: what a node with one role serves, and the settings it refuses to start with.</summary>
public sealed class NodeRolesTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task An_ingest_only_node_serves_no_pages_but_health_and_the_hub_to_a_token_holder()
    {
        await using var node = new NodeFactory(database.ConnectionString, "ingest").Start();
        var client = node.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/login")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/hubs/feed/negotiate?negotiateVersion=1&access_token=wrong-key", null)).StatusCode);
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/feed/negotiate?negotiateVersion=1");
        negotiate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", NodeFactory.ClusterKey);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(negotiate)).StatusCode);
    }

    [Fact]
    public async Task A_node_with_both_roles_serves_pages_and_the_hub()
    {
        await using var node = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        var client = node.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/hubs/feed/negotiate?negotiateVersion=1&access_token={NodeFactory.ClusterKey}", null)).StatusCode);
    }

    [Fact]
    public async Task A_web_only_node_has_no_hub_and_runs_no_source()
    {
        await using var ingest = new NodeFactory(database.ConnectionString, "ingest", listen: true).Start();
        await using var web = new NodeFactory(database.ConnectionString, "web", new Dictionary<string, string?>
        {
            ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(ingest.Address, "/hubs/feed").ToString(),
        }).Start();
        var client = web.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode);
        // No hub here: the page routes answer GET only, so a negotiate is refused as 404 or 405.
        var negotiate = await client.PostAsync($"/hubs/feed/negotiate?negotiateVersion=1&access_token={NodeFactory.ClusterKey}", null);
        Assert.Contains(negotiate.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        var host = web.Services.GetService(typeof(CrisisDesk.Ingest.Pipeline.IngestHost)) as CrisisDesk.Ingest.Pipeline.IngestHost;
        Assert.NotNull(host);
        var (_, sourceId) = await Support.TestIncidents.NewIncidentAsync(database, "web-only");
        await host.StartSourceAsync(sourceId);
        Assert.False(host.IsRunning(sourceId), "a web-only node ran a source");
    }

    [Theory]
    [InlineData("web,search", "may list only")]
    [InlineData(",", "at least one")]
    public void Roles_it_does_not_know_are_refused_at_start(string roles, string reason)
    {
        var result = new NodeRolesValidation().Validate(null, new NodeRolesOptions { Roles = roles });
        Assert.True(result.Failed);
        Assert.Contains(reason, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_web_only_node_is_refused_without_the_hub_address_and_the_cluster_key()
    {
        var validation = new FeedHubOptionsValidation(new NodeRoles(Web: true, Ingest: false));
        var result = validation.Validate(null, new FeedHubOptions());
        Assert.True(result.Failed);
        Assert.Contains("IngestHubUrl", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClusterKey", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("at least 32", validation.Validate(null, new FeedHubOptions { IngestHubUrl = new("http://127.0.0.1:5181/hubs/feed"), ClusterKey = "short" }).FailureMessage, StringComparison.Ordinal);
        Assert.True(validation.Validate(null, new FeedHubOptions { IngestHubUrl = new("http://127.0.0.1:5181/hubs/feed"), ClusterKey = NodeFactory.ClusterKey }).Succeeded);
        Assert.True(new FeedHubOptionsValidation(NodeRoles.Both).Validate(null, new FeedHubOptions()).Succeeded);
    }

    [Fact]
    public void A_web_only_node_may_list_several_hubs_each_an_http_address_tried_in_order()
    {
        var validation = new FeedHubOptionsValidation(new NodeRoles(Web: true, Ingest: false));
        var listed = new FeedHubOptions
        {
            IngestHubUrls = [new("http://127.0.0.1:5191/hubs/feed"), new("http://127.0.0.1:5192/hubs/feed")],
            ClusterKey = NodeFactory.ClusterKey,
        };
        Assert.True(validation.Validate(null, listed).Succeeded);
        // The single setting comes first, and a hub named twice is tried once.
        listed.IngestHubUrl = new("http://127.0.0.1:5192/hubs/feed");
        Assert.Equal(["http://127.0.0.1:5192/hubs/feed", "http://127.0.0.1:5191/hubs/feed"], listed.HubUrls().Select(u => u.ToString()));
        var wrong = new FeedHubOptions { IngestHubUrls = [new("http://127.0.0.1:5191/hubs/feed"), new("ws-node/hubs/feed", UriKind.Relative)], ClusterKey = NodeFactory.ClusterKey };
        Assert.Contains("not \"ws-node/hubs/feed\"", validation.Validate(null, wrong).FailureMessage, StringComparison.Ordinal);
    }
}

/// <summary>Two web nodes on one database share the key ring: a sign-in made on one is good on the other, and after a restart.</summary>
public sealed class SharedKeyRingTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_sign_in_made_on_one_web_node_is_good_on_another()
    {
        await using var first = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        await using var second = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        var signIn = first.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var response = await Support.CrisisDeskFactory.SignInAsync(signIn, Support.CrisisDeskFactory.AdminUser, Support.CrisisDeskFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("crisisdesk.auth=", StringComparison.Ordinal)).Split(';')[0];

        var other = second.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        other.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/healthz/detail")).StatusCode);
        var stranger = second.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        Assert.NotEqual(HttpStatusCode.OK, (await stranger.GetAsync("/healthz/detail")).StatusCode);
        // The ring is the database's, not a per-user directory both test hosts happen to share.
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var keys = new Npgsql.NpgsqlCommand("SELECT count(*) FROM data_protection_keys WHERE xml LIKE '<key %'", connection);
        Assert.True((long)(await keys.ExecuteScalarAsync())! >= 1);
    }
}
