using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using Microsoft.AspNetCore.SignalR;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// On the ingest role: forwards what the pipeline announces after each commit (the in-process <see cref="LiveFeed"/>)
/// to the feed hub, one <see cref="FeedBatch"/> per incident, to the incident's group and to the web nodes' group. One
/// subscription delivering in order, never concurrently with itself, so batches leave in commit order.
/// </summary>
internal sealed class FeedBroadcaster(LiveFeed feed, IHubContext<FeedHub, IFeedClient> hub, NodeMetrics metrics, ILogger<FeedBroadcaster> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = feed.SubscribeAll(SendAsync, TimeSpan.Zero);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private async Task SendAsync(LiveUpdate update)
    {
        foreach (var batch in Batches(update))
        {
            try
            {
                await hub.Clients.Groups(FeedHub.GroupOf(batch.IncidentId), FeedHub.AllIncidents).Batch(batch);
                metrics.BatchPushed(batch.Posts.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The hub is news only: a subscriber that missed this reads it from the database when it reconnects.
                logger.LogWarning(e, "The feed hub could not push incident {IncidentId}'s batch {FromId}-{ToId}", batch.IncidentId, batch.FromId, batch.ToId);
            }
        }
    }

    /// <summary>One batch per incident, oldest first, with the id range of its posts.</summary>
    internal static IEnumerable<FeedBatch> Batches(LiveUpdate update)
    {
        var incidents = update.Posts.Select(p => p.IncidentId).Concat(update.Changes.Select(c => c.IncidentId)).Distinct();
        foreach (var incidentId in incidents)
        {
            var posts = update.Posts.Where(p => p.IncidentId == incidentId).ToList();
            var changes = update.Changes.Where(c => c.IncidentId == incidentId).ToList();
            yield return new FeedBatch(incidentId, posts.Count == 0 ? 0 : posts.Min(p => p.Id), posts.Count == 0 ? 0 : posts.Max(p => p.Id),
                posts, changes, update.Overflowed);
        }
    }
}
