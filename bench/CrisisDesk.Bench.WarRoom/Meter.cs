using CrisisDesk.Bench.Shared;
using CrisisDesk.TestSupport;
using System.Diagnostics;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>What one phase cost: CPU as % of one core over the window, the server's mean resident memory, the rate reached.</summary>
internal sealed record PhaseResult(string Name, int Circuits, double PostsPerSecond, double? UpdatesPerSecond, double ServerCpuPercent, double ServerRss, double ServerRssMin,
    double ServerRssMax, double? PostgresCpuPercent, double BrowserCpuPercent, string LoadAverage);

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
        return new PhaseResult(name, pages.Count, (posts1 - posts0) / elapsed,
            pages.Count == 0 ? null : updates1.Zip(updates0, (b, a) => b - a).Average() / elapsed,
            (server1 - server0).TotalSeconds / elapsed * 100, rss.Average(), rss.Min(), rss.Max(),
            postgres0 is { } p0 && postgres1 is { } p1 ? (p1 - p0).TotalSeconds / elapsed * 100 : null,
            (browser1 - browser0).TotalSeconds / elapsed * 100,
            string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)));
    }

    private (TimeSpan Server, TimeSpan? Postgres, TimeSpan Browser) ReadCpu() => (
        ProcStat.Cpu(serverPid),
        postmaster is { } pm ? ProcStat.PostgresCpu(pm) : null,
        // Everything under this bench but CrisisDesk and a PostgreSQL it started: Chromium's processes and the Playwright driver.
        ProcStat.TreeCpu(Environment.ProcessId, (pid, command) => pid != serverPid && command != "postgres"));
}
