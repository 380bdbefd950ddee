namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// Where the war room's feed stands: the post the view is anchored at, the newest post counted, how many posts the view
/// holds and how many wait while it is paused.
/// </summary>
/// <remarks>
/// <para>
/// Operations take turns (<see cref="InTurnAsync"/>). Blazor runs the next callback of a circuit while the current one
/// awaits the database, so without turns a live batch applied while the head was being read was overwritten by that
/// older head and never counted: the feed total stayed one short of the incident for good.
/// </para>
/// <para>
/// New posts are counted in the database, between the newest post counted and the newest post of the batch, rather
/// than from the batch itself: posts of an incident commit in id order (<c>PostWriter</c> serialises an incident's
/// batches), so that range is complete once its top is seen, even when two sources' batches reach the view out of order.
/// </para>
/// </remarks>
public sealed class FeedCounter
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>The newest post the view shows; the feed is read at or below it.</summary>
    public long AnchorId { get; private set; }

    /// <summary>The newest post counted, shown or waiting.</summary>
    public long LatestId { get; private set; }

    /// <summary>Posts the view holds (at or below the anchor, matching the filter).</summary>
    public long Total { get; private set; }

    /// <summary>Posts counted while paused, shown on resume.</summary>
    public long Pending { get; private set; }

    public bool Paused { get; private set; }

    /// <summary>Runs <paramref name="operation"/> once the operations before it have finished; everything below is called in turn.</summary>
    public async Task InTurnAsync(Func<Task> operation)
    {
        await _turn.WaitAsync().ConfigureAwait(true);
        try
        {
            await operation().ConfigureAwait(true);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Starts again from the head of the feed as the database answered it (the count and newest id of one snapshot).</summary>
    public void Reset(long count, long maxId)
    {
        Total = count;
        AnchorId = LatestId = maxId;
        Pending = 0;
        Paused = false;
    }

    /// <summary>
    /// Counts the posts up to <paramref name="newestId"/> not yet counted (with <paramref name="countBetween"/>, which counts
    /// the matching posts with an id above its first argument and up to its second). Returns how many joined the view:
    /// none while paused, when they wait instead.
    /// </summary>
    public async Task<long> AddAsync(long newestId, Func<long, long, Task<long>> countBetween)
    {
        if (newestId <= LatestId)
            return 0;
        var added = await countBetween(LatestId, newestId).ConfigureAwait(true);
        LatestId = newestId;
        if (Paused)
        {
            Pending += added;
            return 0;
        }
        Total += added;
        AnchorId = newestId;
        return added;
    }

    public void Pause() => Paused = true;

    /// <summary>Shows what waited: the anchor moves to the newest post counted. Returns how many posts joined the view.</summary>
    public long Resume()
    {
        var joined = Pending;
        Paused = false;
        Total += Pending;
        Pending = 0;
        AnchorId = LatestId;
        return joined;
    }

    /// <summary>The view's total read again (a filter whose matches change without new posts: unreviewed only, search after an edit).</summary>
    public void Recount(long total) => Total = total;
}
