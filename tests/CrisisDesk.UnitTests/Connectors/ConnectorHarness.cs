using System.Collections.Concurrent;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Connectors;

namespace CrisisDesk.UnitTests.Connectors;

internal sealed record StatusReport(SourceState State, string? Detail, DateTimeOffset? Until);

internal sealed class RecordingStatusReporter : ISourceStatusReporter
{
    private readonly ConcurrentQueue<StatusReport> _reports = new();

    public IReadOnlyList<StatusReport> Reports => [.. _reports];

    public void Report(SourceState state, string? detail = null, DateTimeOffset? until = null) =>
        _reports.Enqueue(new StatusReport(state, detail, until));
}

/// <summary>What came out of a connector, normalised the way the pipeline would.</summary>
internal sealed record Collected(RawItem Item, NormaliseResult Result);

internal static class ConnectorHarness
{
    /// <summary>Timings in milliseconds so that scripted failures play out fast; nothing asserts on elapsed time.</summary>
    public static StreamTimings FastTimings(int circuitThreshold = 100) => new()
    {
        KeepAliveTimeout = TimeSpan.FromMilliseconds(1500),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        NetworkBackoffStep = TimeSpan.FromMilliseconds(5),
        NetworkBackoffMax = TimeSpan.FromMilliseconds(50),
        HttpBackoffBase = TimeSpan.FromMilliseconds(5),
        HttpBackoffMax = TimeSpan.FromMilliseconds(50),
        RateLimitBackoffBase = TimeSpan.FromMilliseconds(10),
        RateLimitBackoffMax = TimeSpan.FromMilliseconds(100),
        CircuitFailureThreshold = circuitThreshold,
        CircuitSamplingDuration = TimeSpan.FromSeconds(30),
        CircuitBreakDuration = TimeSpan.FromMilliseconds(500),
    };

    public static HttpClient Http() => new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Reads the source until <paramref name="done"/> holds for what was collected (or a generous safety timeout passes,
    /// after which the test's own assertions show what is missing), then stops it.
    /// </summary>
    public static async Task<List<Collected>> CollectAsync(IIngestSource source, IPostNormaliser normaliser,
        Func<IReadOnlyList<Collected>, bool> done, string? cursor = null)
    {
        var collected = new List<Collected>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var item in source.ReadAsync(cursor, stop.Token))
            {
                collected.Add(new Collected(item, normaliser.Normalise(item.Payload.Span)));
                if (done(collected))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        return collected;
    }

    public static List<Post> Posts(this IEnumerable<Collected> collected) =>
        collected.Where(c => c.Result.Post is not null).Select(c => c.Result.Post!).ToList();

    public static List<string> Errors(this IEnumerable<Collected> collected) =>
        collected.Where(c => c.Result.IsMalformed).Select(c => c.Result.Error!).ToList();
}
