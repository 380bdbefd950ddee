using System.Diagnostics;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrisisDesk.Bench.Ingest;

/// <summary>What one run of the real pipeline took.</summary>
internal sealed record PipelineFigures(TimeSpan Elapsed, long Stored, long Delivered, long PeakManagedBytes, long AllocatedBytes, TimeSpan ClientCpu, TimeSpan? ServerCpu);

/// <summary>
/// Runs the corpus through the real <see cref="IngestPipeline"/> (channel → normalise → classify, unless it is left out →
/// dedupe → <see cref="PostWriter"/>
/// → live feed), with one war-room subscription on the live feed, and times it from the first item read to the last commit.
/// </summary>
internal static class PipelineRun
{
    public static async Task<PipelineFigures> RunAsync(NpgsqlDataSource dataSource, IngestCorpus corpus, int incidentId, int sourceId, IngestPipelineOptions options, ServerCpu? serverCpu,
        CrisisDesk.Ingest.Classification.PostClassificationStage? classification)
    {
        var liveFeed = new LiveFeed();
        var monitor = new SourceMonitor();
        monitor.Register(new SourceStatus(sourceId, incidentId, "bench", "memory", SourceState.Starting, null, null, 0, 0, null, DateTimeOffset.UtcNow));
        var pipeline = new IngestPipeline(new PostWriter(dataSource), liveFeed, monitor, options, PostFormats.Default, NullLogger<IngestPipeline>.Instance,
            classification: classification);
        long delivered = 0;
        using var warRoom = liveFeed.Subscribe(incidentId, update =>
        {
            Interlocked.Add(ref delivered, update.Posts.Count);
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(100));

        using var sampler = new PeakMemorySampler();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var serverCpuBefore = serverCpu?.Used();
        var watch = Stopwatch.StartNew();
        await pipeline.RunAsync(new SourceRun(sourceId, incidentId, new MemorySource(corpus), null), CancellationToken.None);
        watch.Stop();
        var serverCpuUsed = serverCpu?.Used() - serverCpuBefore;
        var clientCpuUsed = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var peak = sampler.Stop();

        var status = monitor.Get(sourceId)!;
        if (status.State != SourceState.Completed)
            throw new InvalidOperationException($"the pipeline ended {status.State}: {status.Detail}");
        // The live feed delivers on its throttle: give it a moment to catch up (not timed).
        for (var i = 0; i < 100 && Interlocked.Read(ref delivered) < status.PostsStored; i++)
            await Task.Delay(50);
        return new PipelineFigures(watch.Elapsed, status.PostsStored, Interlocked.Read(ref delivered), peak, allocated, clientCpuUsed, serverCpuUsed);
    }
}

/// <summary>Samples the managed heap every few milliseconds and keeps the largest size seen.</summary>
internal sealed class PeakMemorySampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public PeakMemorySampler()
    {
        _peak = GC.GetTotalMemory(forceFullCollection: false);
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                Sample();
        });
    }

    private void Sample()
    {
        var now = GC.GetTotalMemory(forceFullCollection: false);
        if (now > Interlocked.Read(ref _peak))
            Interlocked.Exchange(ref _peak, now);
    }

    public long Stop()
    {
        Sample();
        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // The way the loop ends.
        }
        return Interlocked.Read(ref _peak);
    }

    public void Dispose() => _stop.Dispose();
}
