namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// The last N item identities a connector handed over, so that a re-delivery after a reconnect (X backfill, Mastodon
/// catch-up, Jetstream rewind) is dropped at the source. The pipeline's unique (source, external id) still guards restarts.
/// </summary>
internal sealed class RecentIdWindow(int capacity)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Remembers <paramref name="id"/>; false when it was already among the recent ones.</summary>
    public bool Add(string id)
    {
        if (!_seen.Add(id))
        {
            return false;
        }
        _order.Enqueue(id);
        if (_order.Count > capacity)
        {
            _seen.Remove(_order.Dequeue());
        }
        return true;
    }

    public bool Contains(string id) => _seen.Contains(id);
}
