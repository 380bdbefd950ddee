using System.Collections.Concurrent;
using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.Rumours;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Two web nodes on one database: a notification written on one moves the bell of the same person on the other, reading
/// it on the other moves the first; an operator's action on one reaches the other's open pages once; a listener whose
/// connection is cut reconnects and has every open inbox read its count again.
/// </summary>
public sealed class ClusterSignalsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly ClaimsPrincipal Admin = new(new ClaimsIdentity([new Claim(ClaimTypes.Name, CrisisDeskFactory.AdminUser)], "test"));

    private async Task<(NodeFactory A, NodeFactory B)> TwoNodesAsync()
    {
        var a = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        var b = new NodeFactory(database.ConnectionString, "web,ingest").Start();
        foreach (var node in new[] { a, b })
        {
            var listener = node.Services.GetRequiredService<ClusterListener>();
            await Eventually.WaitUntilAsync(() => listener.Connects >= 1, "a node's listener to start", Patience);
        }
        return (a, b);
    }

    // No source: a source of an unknown kind would fail on one of the nodes and tell the Admin so, on its own.
    private async Task<int> IncidentAsync(string name)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES (@name) RETURNING id", new { name });
    }

    private static NotificationTrigger Trigger(int incidentId, string key) => new(NotificationKinds.Source, incidentId, key,
        "Source failed: cluster test", "The test source stopped.", $"/incidents/{incidentId}/sources", MinimumRole: Roles.Viewer);

    [Fact]
    public async Task A_notification_written_on_one_node_moves_the_bell_on_the_other_and_reading_it_there_moves_the_first()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var incidentId = await IncidentAsync("Bell on two nodes");
        var firedOnA = 0;
        var firedOnB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onA = a.Services.GetRequiredService<NotificationHub>().Subscribe(CrisisDeskFactory.AdminUser, () => { Interlocked.Increment(ref firedOnA); return Task.CompletedTask; });
        using var onB = b.Services.GetRequiredService<NotificationHub>().Subscribe(CrisisDeskFactory.AdminUser, () => { firedOnB.TrySetResult(); return Task.CompletedTask; });
        var inboxB = b.Services.GetRequiredService<NotificationInbox>();
        var unreadBefore = await inboxB.UnreadCountAsync(Admin);

        // Written through node A (its signal watcher: a source failed), for every Admin.
        var watcherA = a.Services.GetServices<IHostedService>().OfType<SignalWatcher>().Single();
        await watcherA.RaiseAsync(Trigger(incidentId, $"cluster-test:{Guid.NewGuid():N}"), CancellationToken.None);

        await firedOnB.Task.WaitAsync(Patience);
        Assert.Equal(unreadBefore + 1, await inboxB.UnreadCountAsync(Admin));
        // A told its own page directly; its listener skipped its own message, so the page was told once.
        await Task.Delay(500);
        Assert.Equal(1, Volatile.Read(ref firedOnA));

        // Read on node B: node A's bell moves.
        Assert.True(await inboxB.MarkReadAsync(Admin, null) >= 1);
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref firedOnA) >= 2, "node A's bell to hear of the read on node B", Patience);
        Assert.Equal(0, await a.Services.GetRequiredService<NotificationInbox>().UnreadCountAsync(Admin));
    }

    [Fact]
    public async Task A_rolled_back_notification_tells_no_node()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var incidentId = await IncidentAsync("Rolled back");
        var firedOnB = 0;
        using var onB = b.Services.GetRequiredService<NotificationHub>().Subscribe(CrisisDeskFactory.AdminUser, () => { Interlocked.Increment(ref firedOnB); return Task.CompletedTask; });
        var signals = a.Services.GetRequiredService<ClusterSignals>();

        await using (var connection = await database.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await signals.AnnounceInboxAsync(connection, transaction, [CrisisDeskFactory.AdminUser], CancellationToken.None);
            await transaction.RollbackAsync();
        }
        // The same announcement committed arrives: the rolled-back one would have come before it.
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await signals.AnnounceInboxAsync(connection, transaction, [CrisisDeskFactory.AdminUser], CancellationToken.None);
            await transaction.CommitAsync();
        }
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref firedOnB) >= 1, "the committed announcement", Patience);
        await Task.Delay(300);
        Assert.Equal(1, Volatile.Read(ref firedOnB));
        Assert.True(incidentId > 0);
    }

    [Fact]
    public async Task An_action_on_one_node_reaches_the_other_nodes_pages_once_and_is_not_sent_back()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var incidentId = await IncidentAsync("Activity on two nodes");
        var onA = new ConcurrentQueue<IncidentActivity>();
        var onB = new ConcurrentQueue<IncidentActivity>();
        using var subA = a.Services.GetRequiredService<IncidentActivityFeed>().Subscribe(incidentId, batch => { foreach (var x in batch) onA.Enqueue(x); return Task.CompletedTask; }, TimeSpan.Zero);
        using var subB = b.Services.GetRequiredService<IncidentActivityFeed>().Subscribe(incidentId, batch => { foreach (var x in batch) onB.Enqueue(x); return Task.CompletedTask; }, TimeSpan.Zero);

        // What a command publishes after its commit, on node A; presence is node A's own and stays there.
        var feedA = a.Services.GetRequiredService<IncidentActivityFeed>();
        feedA.Publish(new IncidentActivity(incidentId, RumourPresence.Action, "alice", DateTimeOffset.UtcNow, RumourId: 3));
        var action = new IncidentActivity(incidentId, "rumour.status-changed", "alice", DateTimeOffset.UtcNow, 42, 3, [7, 8],
            "alice moved rumour 3 to Investigating");
        feedA.Publish(action);

        await Eventually.WaitUntilAsync(() => !onB.IsEmpty, "node B to hear of node A's action", Patience);
        await Task.Delay(500);
        var received = Assert.Single(onB);
        Assert.Equal(action.Action, received.Action);
        Assert.Equal(action.EventSeq, received.EventSeq);
        Assert.Equal(action.RumourId, received.RumourId);
        Assert.Equal([7L, 8L], received.PostIds);
        Assert.Equal(action.Summary, received.Summary);
        // Node A saw its two, and nothing came back from B.
        Assert.Equal([RumourPresence.Action, action.Action], onA.Select(x => x.Action));
    }

    [Fact]
    public async Task A_listener_whose_connection_is_cut_listens_again_and_has_every_open_inbox_read_again()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var listenerB = b.Services.GetRequiredService<ClusterListener>();
        var firedOnB = 0;
        using var onB = b.Services.GetRequiredService<NotificationHub>().Subscribe(CrisisDeskFactory.AdminUser, () => { Interlocked.Increment(ref firedOnB); return Task.CompletedTask; });

        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            var cut = await connection.ExecuteScalarAsync<int>("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = @name
                """, new { name = ClusterListener.ApplicationName });
            Assert.Equal(2, cut); // both nodes' listeners
        }

        await Eventually.WaitUntilAsync(() => listenerB.Connects >= 2 && Volatile.Read(ref firedOnB) >= 1, "node B's listener to come back and refresh its inboxes", Patience);
        // And it hears the other node again.
        var incidentId = await IncidentAsync("After the cut");
        var before = Volatile.Read(ref firedOnB);
        var watcherA = a.Services.GetServices<IHostedService>().OfType<SignalWatcher>().Single();
        await watcherA.RaiseAsync(Trigger(incidentId, $"cluster-cut:{Guid.NewGuid():N}"), CancellationToken.None);
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref firedOnB) > before, "node B to hear node A after reconnecting", Patience);
    }
}
