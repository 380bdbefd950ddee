namespace CrisisDesk.Core.Live;

/// <summary>
/// Something an operator (or the system on their behalf) did in an incident: a committed command, with the event's
/// sequence number when it was logged, or a change of presence or suggestions, which are not operator actions.
/// </summary>
/// <param name="Action">The event-log action (<c>rumour.status-changed</c>, <c>post.flagged</c>, …) or <c>presence.changed</c> / <c>rumour.suggested</c>.</param>
/// <param name="RumourId">The rumour it concerns, if any.</param>
/// <param name="PostIds">The posts it concerns, if any.</param>
/// <param name="Summary">One line for people ("alice moved rumour 3 to Investigating").</param>
public sealed record IncidentActivity(int IncidentId, string Action, string Actor, DateTimeOffset At, long? EventSeq = null,
    int? RumourId = null, IReadOnlyList<long>? PostIds = null, string? Summary = null);

/// <summary>
/// The one place committed operator actions are announced, next to <see cref="LiveFeed"/> and on the same pattern:
/// commands publish after their commit, and each open war room or rumour board holds a disposable, throttled
/// subscription to one incident, so every operator sees every other operator's actions within the throttle.
/// </summary>
public sealed class IncidentActivityFeed(TimeProvider? timeProvider = null)
{
    /// <summary>A subscriber's buffer is capped so that a stalled circuit cannot hold the server's memory; the oldest go first.</summary>
    public const int MaxBufferedPerSubscriber = 2_000;

    private readonly ThrottledIncidentFeed<IncidentActivity> _feed = new(MaxBufferedPerSubscriber, timeProvider);

    public int SubscriberCount => _feed.SubscriberCount;

    /// <summary>
    /// Delivers the incident's activity to <paramref name="onActivity"/> at most once per <paramref name="throttle"/>,
    /// oldest first, never concurrently with itself. Dispose to stop.
    /// </summary>
    public IDisposable Subscribe(int incidentId, Func<IReadOnlyList<IncidentActivity>, Task> onActivity, TimeSpan throttle) =>
        _feed.Subscribe(incidentId, (activity, _) => onActivity(activity), throttle);

    /// <summary>Delivers every incident's activity, throttled as <see cref="Subscribe"/> does. Dispose to stop.</summary>
    public IDisposable SubscribeAll(Func<IReadOnlyList<IncidentActivity>, Task> onActivity, TimeSpan throttle) =>
        _feed.SubscribeAll((activity, _) => onActivity(activity), throttle);

    /// <summary>Announces an action that is committed. Never blocks on subscribers.</summary>
    public void Publish(IncidentActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        _feed.Publish(activity.IncidentId, [activity]);
    }
}
