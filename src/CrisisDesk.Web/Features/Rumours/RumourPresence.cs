using CrisisDesk.Core.Live;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Who is looking at which rumour, on this node: in memory only (a node that restarts forgets, and the circuits that
/// reconnect announce themselves again). Each open rumour view holds a disposable entry; changes are announced on the
/// incident's activity feed as <c>presence.changed</c>, which is not an operator action and is not logged.
/// </summary>
public sealed class RumourPresence(IncidentActivityFeed activity, TimeProvider time)
{
    /// <summary>The activity-feed action that announces a change of who is looking.</summary>
    public const string Action = "presence.changed";

    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];

    /// <summary>Marks <paramref name="userName"/> as looking at the rumour until the returned handle is disposed.</summary>
    public IDisposable Enter(int incidentId, int rumourId, string userName)
    {
        var entry = new Entry(this, incidentId, rumourId, userName);
        lock (_gate)
            _entries.Add(entry);
        Announce(incidentId, userName, rumourId, "opened");
        return entry;
    }

    /// <summary>The people looking at each rumour of the incident (each name once, sorted).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<string>> Viewers(int incidentId)
    {
        lock (_gate)
        {
            return _entries.Where(e => e.IncidentId == incidentId)
                .GroupBy(e => e.RumourId)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(e => e.UserName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        }
    }

    private void Leave(Entry entry)
    {
        bool removed;
        lock (_gate)
            removed = _entries.Remove(entry);
        if (removed)
            Announce(entry.IncidentId, entry.UserName, entry.RumourId, "left");
    }

    private void Announce(int incidentId, string userName, int rumourId, string verb) =>
        activity.Publish(new IncidentActivity(incidentId, Action, userName, time.GetUtcNow(), RumourId: rumourId,
            Summary: $"{userName} {verb} rumour {rumourId}"));

    private sealed class Entry(RumourPresence presence, int incidentId, int rumourId, string userName) : IDisposable
    {
        public int IncidentId { get; } = incidentId;
        public int RumourId { get; } = rumourId;
        public string UserName { get; } = userName;

        public void Dispose() => presence.Leave(this);
    }
}
