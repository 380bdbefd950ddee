using CrisisDesk.Core.Posts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// What the feed hub pushes after each commit: one incident's new posts (ids <paramref name="FromId"/> to
/// <paramref name="ToId"/>, oldest first) and the edits and deletions of posts stored earlier. News only: PostgreSQL
/// stays the source of truth, and a subscriber that was away reads what it missed from there (web nodes) or asks again.
/// </summary>
/// <param name="FromId">The lowest post id in <paramref name="Posts"/>, 0 when there are none.</param>
/// <param name="ToId">The highest post id in <paramref name="Posts"/>, 0 when there are none.</param>
/// <param name="Overflowed">The ingest node fell behind and dropped some of this incident's news: read it from the database.</param>
public sealed record FeedBatch(int IncidentId, long FromId, long ToId, IReadOnlyList<StoredPost> Posts, IReadOnlyList<PostChange> Changes, bool Overflowed = false);

/// <summary>The hub's one message, strongly typed: the JS client listens with <c>connection.on("Batch", …)</c>.</summary>
public interface IFeedClient
{
    Task Batch(FeedBatch batch);
}

/// <summary>
/// <c>/hubs/feed</c> on the ingest role. Callers present a token (<c>access_token</c> query or <c>Authorization: Bearer</c>):
/// CrisisDesk's web nodes the cluster key, and follow every incident; an outside subscriber its read-only token,
/// and follows the incidents it is scoped to. Nothing can be sent the other way: the hub has no method that changes anything.
/// </summary>
[Authorize(AuthenticationSchemes = FeedToken.Scheme, Policy = FeedToken.Policy)]
public sealed class FeedHub(FeedConnections connections) : Hub<IFeedClient>
{
    public const string Path = "/hubs/feed";

    /// <summary>The group CrisisDesk's own web nodes join: every incident's batches.</summary>
    public const string AllIncidents = "incidents:all";

    public static string GroupOf(int incidentId) => $"incident:{incidentId}";

    public override Task OnConnectedAsync()
    {
        // Outside subscribers are tracked so that a revocation can cut them.
        if (Context.User?.FindFirst(FeedToken.SubscriberClaim)?.Value is { } subscriber)
            connections.Add(long.Parse(subscriber, System.Globalization.CultureInfo.InvariantCulture), Context);
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Receives the incident's batches from now on. Refused for an incident the token is not scoped to.</summary>
    public Task Follow(int incidentId)
    {
        if (!FeedToken.MayRead(Context.User, incidentId))
            throw new HubException($"This token may not read incident {incidentId}.");
        return Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(incidentId));
    }

    /// <summary>Stops receiving the incident's batches.</summary>
    public Task Unfollow(int incidentId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(incidentId));

    /// <summary>Every incident's batches: for CrisisDesk's web nodes only (the cluster key).</summary>
    public Task FollowAll()
    {
        if (!FeedToken.IsNode(Context.User))
            throw new HubException("Only CrisisDesk's own nodes may follow every incident.");
        return Groups.AddToGroupAsync(Context.ConnectionId, AllIncidents);
    }
}
