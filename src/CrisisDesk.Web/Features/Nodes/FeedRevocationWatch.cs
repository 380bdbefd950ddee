using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>The hub connections of outside subscribers on this node, by subscriber: what a revocation must cut.</summary>
public sealed class FeedConnections
{
    private readonly ConcurrentDictionary<string, (long SubscriberId, HubCallerContext Context)> _connections = new();

    public int Count => _connections.Count;

    internal void Add(long subscriberId, HubCallerContext context) => _connections[context.ConnectionId] = (subscriberId, context);

    internal void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    internal IReadOnlyCollection<long> Subscribers => _connections.Values.Select(c => c.SubscriberId).Distinct().ToList();

    /// <summary>Closes every connection of the subscribers given; returns how many.</summary>
    internal int Abort(IReadOnlyCollection<long> subscriberIds)
    {
        var aborted = 0;
        foreach (var (id, connection) in _connections)
        {
            if (!subscriberIds.Contains(connection.SubscriberId))
                continue;
            connection.Context.Abort();
            _connections.TryRemove(id, out _);
            aborted++;
        }
        return aborted;
    }
}

/// <summary>
/// On the ingest role: every second, cuts the hub connections of subscribers whose token was revoked (on whichever node
/// the Admin revoked it: the database says). A revoked token cannot connect again: it no longer authenticates.
/// </summary>
internal sealed class FeedRevocationWatch(FeedConnections connections, FeedSubscribers subscribers, ILogger<FeedRevocationWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var connected = connections.Subscribers;
                    if (connected.Count == 0)
                        continue;
                    var revoked = await subscribers.RevokedAmongAsync(connected, stoppingToken);
                    if (revoked.Count > 0)
                        logger.LogInformation("Cut {Count} feed hub connection(s) of revoked subscriber(s) {Subscribers}", connections.Abort(revoked), string.Join(", ", revoked));
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
                {
                    logger.LogWarning(e, "Could not check the feed subscribers' tokens; trying again in {Interval}", Interval);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
