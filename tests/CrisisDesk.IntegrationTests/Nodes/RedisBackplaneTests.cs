using System.Collections.Concurrent;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Two ingest nodes on one Redis backplane (a private redis-server started by the test): a subscriber connected to
/// one node receives the batches the other node commits.
/// </summary>
public sealed class RedisBackplaneTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_subscriber_on_one_ingest_node_receives_what_the_other_commits()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["CrisisDesk:Redis"] = redis.Configuration };
        await using var writing = new NodeFactory(database.ConnectionString, "ingest", settings, listen: true).Start();
        await using var serving = new NodeFactory(database.ConnectionString, "ingest", settings, listen: true).Start();
        var (incidentId, sourceId) = await database.NewIncidentAsync("Backplane");

        var received = new ConcurrentQueue<FeedBatch>();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(serving.Address, FeedHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(NodeFactory.ClusterKey))
            .Build();
        connection.On<FeedBatch>(nameof(IFeedClient.Batch), received.Enqueue);
        await connection.StartAsync();
        await connection.InvokeAsync(nameof(FeedHub.Follow), incidentId);

        var items = Enumerable.Range(1, 50).Select(n => new RawItem(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(new Post
        {
            Platform = "x", ExternalId = $"redis-{n}", CreatedAt = DateTimeOffset.UtcNow.AddSeconds(n), Text = $"Shelter {n} open",
        })), n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        await writing.Services.GetRequiredService<IngestPipeline>().RunAsync(new SourceRun(sourceId, incidentId, new ListSource(items), null), CancellationToken.None);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received.Sum(b => b.Posts.Count) < 50 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        // Each post once, in id order (the writer does not keep arrival order within a batch).
        var posts = received.SelectMany(b => b.Posts).ToList();
        Assert.Equal(Enumerable.Range(1, 50).Select(n => $"redis-{n}").Order(), posts.Select(p => p.Post.ExternalId).Order());
        Assert.Equal(posts.Select(p => p.Id).Order(), posts.Select(p => p.Id));
    }
}
