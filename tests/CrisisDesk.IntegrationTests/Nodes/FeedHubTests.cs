using System.Collections.Concurrent;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Nodes;
using Dapper;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// An ingest node (its pipeline and hub, listening on loopback) and a web-only node subscribed to it through a proxy
/// the test can cut: what the web node's live feed (the one the war room reads) receives, against the database.
/// </summary>
public sealed class FeedHubTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_web_node_that_loses_the_hub_reconnects_and_catches_up_exactly_no_post_lost_none_twice()
    {
        await using var ingest = new NodeFactory(database.ConnectionString, "ingest", listen: true).Start();
        await using var proxy = new CuttableProxy(ingest.Address);
        var (incidentId, sourceId) = await database.NewIncidentAsync("Hub reconnect");
        await using var web = new NodeFactory(database.ConnectionString, "web", new Dictionary<string, string?>
        {
            ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(proxy.Address, FeedHub.Path).ToString(),
            // Off, so that what arrives after the cut can only come from the reconnect's catch-up.
            ["CrisisDesk:Nodes:SweepSeconds"] = "0",
        }).Start();
        var subscriber = web.Services.GetRequiredService<FeedFollower>();
        await Eventually.WaitUntilAsync(() => subscriber.Connects == 1, "the web node connected to the hub", Patience);

        var received = new ConcurrentQueue<long>();
        using var watch = web.Services.GetRequiredService<LiveFeed>().Subscribe(incidentId, update =>
        {
            foreach (var post in update.Posts)
                received.Enqueue(post.Id);
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(10));
        var pipeline = ingest.Services.GetRequiredService<IngestPipeline>();

        // Pushed live: the first 300 posts.
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 300)), null), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => received.Count >= 300, "the first posts reached the web node", Patience);

        // The hub drops; 500 more posts are committed while the web node cannot reach it.
        proxy.Cut();
        await Eventually.WaitUntilAsync(() => subscriber.State != HubConnectionState.Connected, "the web node noticed the drop", Patience);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 800)), "300"), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(300, received.Count);

        // Back: it reconnects by itself and reads what it missed from PostgreSQL, then receives live again.
        proxy.Resume();
        await Eventually.WaitUntilAsync(() => subscriber.Connects == 2, "the web node reconnected", Patience);
        await Eventually.WaitUntilAsync(() => received.Count >= 800, "the missed posts reached the web node", Patience);
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 1000)), "800"), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => received.Count >= 1000, "the posts after the reconnect reached the web node", Patience);
        await Task.Delay(TimeSpan.FromSeconds(1));

        var stored = await AssertReceivedExactlyWhatIsStoredAsync(incidentId, received, expected: 1000);
        Assert.Equal(stored[^1], subscriber.LastIdOf(incidentId));
    }

    [Fact]
    public async Task A_web_node_also_sees_posts_another_ingest_node_commits_through_its_sweep()
    {
        await using var ingest = new NodeFactory(database.ConnectionString, "ingest", listen: true).Start();
        var (incidentId, sourceId) = await database.NewIncidentAsync("Sweep");
        await using var web = new NodeFactory(database.ConnectionString, "web", new Dictionary<string, string?>
        {
            ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(ingest.Address, FeedHub.Path).ToString(),
            ["CrisisDesk:Nodes:SweepSeconds"] = "1",
        }).Start();
        var received = new ConcurrentQueue<long>();
        using var watch = web.Services.GetRequiredService<LiveFeed>().Subscribe(incidentId, update =>
        {
            foreach (var post in update.Posts)
                received.Enqueue(post.Id);
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(10));

        // Written by a pipeline that is not the followed node's (as another ingest node's would be): no push reaches the web node.
        await new CrisisDesk.Data.Posts.PostWriter(database.DataSource).WriteAsync(TestIncidents.Batch(incidentId, sourceId, "elsewhere", 25, DateTimeOffset.UtcNow));
        await Eventually.WaitUntilAsync(() => received.Count >= 25, "the sweep read the other node's posts", Patience);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await AssertReceivedExactlyWhatIsStoredAsync(incidentId, received, expected: 25);
    }

    [Fact]
    public async Task A_web_node_whose_ingest_node_dies_follows_the_next_hub_and_misses_nothing_shows_nothing_twice()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["CrisisDesk:Redis"] = redis.Configuration };
        await using var first = new NodeFactory(database.ConnectionString, "ingest", settings, listen: true).Start();
        await using var second = new NodeFactory(database.ConnectionString, "ingest", settings, listen: true).Start();
        // The first node is reached through a proxy the test cuts for good: to the web node it is dead (connections
        // reset, new ones refused), as a SIGKILLed node is.
        await using var proxy = new CuttableProxy(first.Address);
        var (incidentId, sourceId) = await database.NewIncidentAsync("Hub failover");
        await using var web = new NodeFactory(database.ConnectionString, "web", new Dictionary<string, string?>
        {
            ["CrisisDesk:Nodes:IngestHubUrls:0"] = new Uri(proxy.Address, FeedHub.Path).ToString(),
            ["CrisisDesk:Nodes:IngestHubUrls:1"] = new Uri(second.Address, FeedHub.Path).ToString(),
            // Off, so that what arrives after the loss can only come through the second hub (its push and its catch-up).
            ["CrisisDesk:Nodes:SweepSeconds"] = "0",
        }).Start();
        var follower = web.Services.GetRequiredService<FeedFollower>();
        await Eventually.WaitUntilAsync(() => follower.Connects == 1, "the web node followed the first hub", Patience);
        Assert.Equal(proxy.Address.Port, follower.FollowedUrl.Port);
        var received = new ConcurrentQueue<long>();
        using var watch = web.Services.GetRequiredService<LiveFeed>().Subscribe(incidentId, update =>
        {
            foreach (var post in update.Posts)
                received.Enqueue(post.Id);
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(10));

        // The source runs on the first node, then (its node dead) on the second, from the same cursor.
        await first.Services.GetRequiredService<IngestPipeline>().RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 300)), null), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => received.Count >= 300, "the first posts reached the web node", Patience);
        proxy.Cut();
        var pipeline = second.Services.GetRequiredService<IngestPipeline>();
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 800)), "300"), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => follower.Connects == 2, "the web node followed the second hub", Patience);
        Assert.Equal(second.Address.Port, follower.FollowedUrl.Port);
        await Eventually.WaitUntilAsync(() => received.Count >= 800, "the posts committed during the loss reached the web node", Patience);
        // And live again, pushed by the second hub.
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new ListSource(Lines(1, 1000)), "800"), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => received.Count >= 1000, "the posts after the failover reached the web node", Patience);
        await Task.Delay(TimeSpan.FromSeconds(1));

        await AssertReceivedExactlyWhatIsStoredAsync(incidentId, received, expected: 1000);
    }

    /// <summary>Every post the incident stores reached the web node once, in order: none lost, none twice.</summary>
    private async Task<List<long>> AssertReceivedExactlyWhatIsStoredAsync(int incidentId, IEnumerable<long> received, int expected)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<long>("SELECT id FROM posts WHERE incident_id = @incidentId ORDER BY id", new { incidentId })).ToList();
        Assert.Equal(expected, stored.Count);
        Assert.Equal(stored, received.ToList());
        return stored;
    }

    private static List<RawItem> Lines(int from, int to) => Enumerable.Range(from, to - from + 1).Select(n => new RawItem(PostJsonLinesFormat.Name,
        Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(new Post
        {
            Platform = "x",
            ExternalId = $"hub-{n}",
            CreatedAt = new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero).AddSeconds(n),
            Text = $"Water over the road at junction {n}",
        })), n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

}
