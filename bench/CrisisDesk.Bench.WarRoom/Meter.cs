using CrisisDesk.Bench.Shared;
using CrisisDesk.TestSupport;
using System.Diagnostics;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>What one phase cost: CPU as % of one core over the window, the server's mean resident memory, the rate reached.</summary>
internal sealed record PhaseResult(string Name, int Circuits, double PostsPerSecond, double? UpdatesPerSecond, double ServerCpuPercent, double ServerRss, double ServerRssMin,
    double ServerRssMax, double? PostgresCpuPercent, double BrowserCpuPercent, string LoadAverage, Latency? CommitToRendered);

/// <summary>Commit → rendered in the browser over a phase: percentiles in ms over every update every page rendered.</summary>
internal sealed record Latency(int Samples, double P50, double P99, double Max);

/// <summary>
/// Samples, over a window: the CrisisDesk process's CPU (utime + stime) and VmRSS (once a second), the PostgreSQL
/// server's CPU (when it runs on this machine), and the CPU of everything else this bench started (Chromium and the
/// Playwright driver), so that a reader sees how the cores were shared.
/// </summary>
internal sealed class Meter(int serverPid, int? postmaster, AppProcess app)
{
    public async Task<PhaseResult> MeasureAsync(string name, IReadOnlyList<WarRoomPage> pages, TimeSpan window, StoredPosts stored)
    {
        var updates0 = await Task.WhenAll(pages.Select(p => p.UpdatesAsync()));
        var posts0 = await stored.ReadAsync();
        using var stopCommits = new CancellationTokenSource();
        var commits = WatchCommitsAsync(stored, posts0, stopCommits.Token);
        var since = NowMs();
        var (server0, postgres0, browser0) = ReadCpu();
        var clock = Stopwatch.StartNew();
        var rss = new List<long>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (clock.Elapsed < window && await timer.WaitForNextTickAsync())
        {
            if (app.HasExited)
                throw new BenchFailure($"CrisisDesk exited during \"{name}\":\n{app.Output}");
            rss.Add(ProcStat.Rss(serverPid));
        }
        var (server1, postgres1, browser1) = ReadCpu();
        var elapsed = clock.Elapsed.TotalSeconds;
        var posts1 = await stored.ReadAsync();
        var updates1 = await Task.WhenAll(pages.Select(p => p.UpdatesAsync()));
        await stopCommits.CancelAsync();
        var committed = await commits;
        var renders = (await Task.WhenAll(pages.Select(p => p.RendersSinceAsync(since)))).SelectMany(r => r).ToList();
        return new PhaseResult(name, pages.Count, (posts1 - posts0) / elapsed,
            pages.Count == 0 ? null : updates1.Zip(updates0, (b, a) => b - a).Average() / elapsed,
            (server1 - server0).TotalSeconds / elapsed * 100, rss.Average(), rss.Min(), rss.Max(),
            postgres0 is { } p0 && postgres1 is { } p1 ? (p1 - p0).TotalSeconds / elapsed * 100 : null,
            (browser1 - browser0).TotalSeconds / elapsed * 100,
            string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)),
            LatencyOf(renders, committed));
    }

    /// <summary>How often the bench asks PostgreSQL for the committed count: a commit is seen up to this much late.</summary>
    public static readonly TimeSpan CommitPoll = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Notes when each committed total was first seen (the replay source's counter moves in the batch's own transaction),
    /// by polling every <see cref="CommitPoll"/>: a commit is noted 0–10 ms late, so latencies are understated by as much.
    /// </summary>
    private static async Task<List<(long Count, double AtMs)>> WatchCommitsAsync(StoredPosts stored, long start, CancellationToken stop)
    {
        var seen = new List<(long, double)> { (start, NowMs()) };
        var last = start;
        try
        {
            while (true)
            {
                await Task.Delay(CommitPoll, stop);
                var count = await stored.ReadAsync();
                if (count != last)
                    seen.Add((last = count, NowMs()));
            }
        }
        catch (OperationCanceledException)
        {
            return seen;
        }
    }

    /// <summary>
    /// For each total a page rendered, the time since the first commit that made it true. A total seen rendered before
    /// the poll saw its commit counts as 0 ms.
    /// </summary>
    private static Latency? LatencyOf(List<(double AtMs, long Total)> renders, List<(long Count, double AtMs)> commits)
    {
        var samples = new List<double>();
        foreach (var (at, total) in renders)
        {
            if (total <= commits[0].Count)
                continue; // committed before the window: its commit time is unknown
            var index = commits.FindIndex(c => c.Count >= total);
            samples.Add(index < 0 ? 0 : Math.Max(0, at - commits[index].AtMs));
        }
        if (samples.Count == 0)
            return null;
        samples.Sort();
        return new Latency(samples.Count, Percentile(samples, 0.50), Percentile(samples, 0.99), samples[^1]);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static double NowMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private (TimeSpan Server, TimeSpan? Postgres, TimeSpan Browser) ReadCpu() => (
        ProcStat.Cpu(serverPid),
        postmaster is { } pm ? ProcStat.PostgresCpu(pm) : null,
        // Everything under this bench but CrisisDesk and a PostgreSQL it started: Chromium's processes and the Playwright driver.
        ProcStat.TreeCpu(Environment.ProcessId, (pid, command) => pid != serverPid && command != "postgres"));
}
