using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Nodes;
using Dapper;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Outside subscribers on the real hub (a node listening on loopback) with the .NET SignalR client: a token reads only
/// the incidents it is scoped to, a revoked token is cut off and cannot come back, and only an Admin makes or revokes one.
/// </summary>
public sealed class FeedTokenTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly ClaimsPrincipal Admin = CrisisDeskFactory.Admin;

    [Fact]
    public async Task A_token_scoped_to_incident_A_receives_A_and_nothing_of_B_and_once_revoked_is_cut_off()
    {
        await using var node = new NodeFactory(database.ConnectionString, "web,ingest", listen: true).Start();
        var (incidentA, sourceA) = await database.NewIncidentAsync("Token scope A");
        var (incidentB, sourceB) = await database.NewIncidentAsync("Token scope B");
        var subscribers = node.Services.GetRequiredService<FeedSubscribers>();
        var created = await subscribers.CreateAsync(Admin, "Regional news desk", [incidentA]);
        Assert.StartsWith(FeedSubscribers.TokenPrefix, created.Token, StringComparison.Ordinal);

        // A control connection with the cluster key sees both incidents' batches go out.
        var everything = new ConcurrentQueue<FeedBatch>();
        await using var control = await ConnectAsync(node, NodeFactory.ClusterKey, everything);
        await control.InvokeAsync(nameof(FeedHub.FollowAll));

        var received = new ConcurrentQueue<FeedBatch>();
        var subscriber = await ConnectAsync(node, created.Token, received);
        var closed = new TaskCompletionSource<Exception?>();
        subscriber.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        await subscriber.InvokeAsync(nameof(FeedHub.Follow), incidentA);
        var refused = await Assert.ThrowsAsync<HubException>(() => subscriber.InvokeAsync(nameof(FeedHub.Follow), incidentB));
        Assert.Contains($"may not read incident {incidentB}", refused.Message, StringComparison.Ordinal);

        var pipeline = node.Services.GetRequiredService<IngestPipeline>();
        await pipeline.RunAsync(new SourceRun(sourceB, incidentB, new ListSource(Lines("b", 40)), null), CancellationToken.None);
        await pipeline.RunAsync(new SourceRun(sourceA, incidentA, new ListSource(Lines("a", 30)), null), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => everything.Sum(b => b.Posts.Count) >= 70 && received.Sum(b => b.Posts.Count) >= 30, "the batches went out", TimeSpan.FromSeconds(60));

        Assert.All(received, batch => Assert.Equal(incidentA, batch.IncidentId));
        Assert.All(received.SelectMany(b => b.Posts), post => Assert.Equal(incidentA, post.IncidentId));
        Assert.Equal(30, received.SelectMany(b => b.Posts).Select(p => p.Post.ExternalId).Distinct().Count());
        Assert.Contains(everything, batch => batch.IncidentId == incidentB);
        var first = received.First();
        Assert.Equal(first.Posts.Min(p => p.Id), first.FromId);
        Assert.Equal(first.Posts.Max(p => p.Id), first.ToId);

        // Revoked: the hub cuts the open connection within its check interval, and the token opens nothing again.
        await subscribers.RevokeAsync(Admin, created.Subscriber.Id);
        var cut = await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(closed.Task, cut);
        await pipeline.RunAsync(new SourceRun(sourceA, incidentA, new ListSource(Lines("a", 45)), "30"), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => everything.Sum(b => b.Posts.Count) >= 85, "the later batch went out", TimeSpan.FromSeconds(60));
        Assert.Equal(30, received.Sum(b => b.Posts.Count));
        var again = await Assert.ThrowsAsync<HttpRequestException>(async () => await ConnectAsync(node, created.Token, received));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, again.StatusCode);
        await subscriber.DisposeAsync();

        // Both acts are in the event log, by the admin, without the token.
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var events = (await connection.QueryAsync<(string Action, string Actor, string Payload)>(
            "SELECT action, actor, payload::text FROM events WHERE action LIKE 'feed-subscriber.%' ORDER BY seq")).ToList();
        Assert.Equal(["feed-subscriber.created", "feed-subscriber.revoked"], events.Select(e => e.Action).TakeLast(2));
        Assert.All(events, e => Assert.Equal(CrisisDeskFactory.AdminUser, e.Actor));
        Assert.All(events, e => Assert.DoesNotContain(created.Token, e.Payload, StringComparison.Ordinal));
        var stored = await connection.QuerySingleAsync<byte[]>("SELECT token_hash FROM feed_subscribers WHERE id = @id", new { id = created.Subscriber.Id });
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(created.Token)), stored);
    }

    [Fact]
    public async Task Only_an_admin_creates_or_revokes_a_token_and_a_refusal_is_recorded()
    {
        await using var node = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        var (incidentId, _) = await database.NewIncidentAsync("Token roles");
        var subscribers = node.Services.GetRequiredService<FeedSubscribers>();
        var accounts = node.Services.GetRequiredService<UserAccounts>();
        var userName = $"approver-{Guid.NewGuid():N}"[..20];
        await accounts.CreateAsync(Admin, userName, userName, Roles.Approver, "a-long-enough-password");
        var approver = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, userName), new Claim(ClaimTypes.Role, Roles.Approver)], "test"));

        await Assert.ThrowsAnyAsync<CommandException>(() => subscribers.CreateAsync(approver, "Someone", [incidentId]));
        var created = await subscribers.CreateAsync(Admin, "Partner agency", [incidentId]);
        await Assert.ThrowsAnyAsync<CommandException>(() => subscribers.RevokeAsync(approver, created.Subscriber.Id));
        await Assert.ThrowsAsync<FeedSubscriberException>(() => subscribers.CreateAsync(Admin, "No incident", []));
        await Assert.ThrowsAsync<FeedSubscriberException>(() => subscribers.CreateAsync(Admin, "Unknown incident", [int.MaxValue]));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @userName", new { userName }));
        Assert.Null((await subscribers.ListAsync(Admin)).Single(s => s.Id == created.Subscriber.Id).RevokedAt);
    }

    private static async Task<HubConnection> ConnectAsync(NodeFactory node, string token, ConcurrentQueue<FeedBatch> received)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node.Address, FeedHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        connection.On<FeedBatch>(nameof(IFeedClient.Batch), batch => received.Enqueue(batch));
        await connection.StartAsync();
        return connection;
    }

    private static List<RawItem> Lines(string prefix, int count) => Enumerable.Range(1, count).Select(n => new RawItem(PostJsonLinesFormat.Name,
        Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(new Post
        {
            Platform = "x",
            ExternalId = $"{prefix}-{n}",
            CreatedAt = new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero).AddSeconds(n),
            Text = $"Incident {prefix} report {n}",
        })), n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

}
