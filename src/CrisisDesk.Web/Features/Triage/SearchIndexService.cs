using CrisisDesk.Data.Posts;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>Keeps the search documents up with ingest: indexes until caught up, then looks again every quarter second.</summary>
public sealed class SearchIndexService(SearchIndexer indexer, ILogger<SearchIndexService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                // A full batch means more may be waiting: go on at once (a burst is indexed at the indexer's own pace).
                while (await indexer.IndexPendingAsync(BatchSize, stoppingToken) >= BatchSize)
                {
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Search stays exact meanwhile (it evaluates the posts not yet indexed); the next round catches up.
                logger.LogWarning(e, "Search indexing could not run this round; it tries again shortly");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
