using System.Collections.Concurrent;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>
/// Tells open pages on this node that a person's inbox changed (a new notification, one read), so the app bar's count
/// moves at once. What the count is always comes from the database. Other nodes hear of it through
/// <see cref="Nodes.ClusterSignals.AnnounceInboxAsync"/> in the writer's transaction.
/// </summary>
public sealed class NotificationHub
{
    private readonly ConcurrentDictionary<Guid, (string User, Func<Task> OnChange)> _subscribers = new();

    public IDisposable Subscribe(string userName, Func<Task> onChange)
    {
        var id = Guid.NewGuid();
        _subscribers[id] = (userName, onChange);
        return new Subscription(() => _subscribers.TryRemove(id, out _));
    }

    public void Changed(IEnumerable<string> userNames)
    {
        var names = userNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (user, onChange) in _subscribers.Values)
        {
            if (names.Contains(user))
                _ = onChange(); // each page catches its own failures
        }
    }

    /// <summary>Every open inbox reads its count again (after this node may have missed another node's news).</summary>
    public void ChangedForEveryone()
    {
        foreach (var (_, onChange) in _subscribers.Values)
            _ = onChange();
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
