// Who had the machine's cores during an open: CPU time by process name (Linux /proc, 10 ms ticks) between two readings.
// The page's main thread ran about a third of its long tasks' length in the first profiles (the trace's thread time):
// the rest it waited for a core, so what else ran then is part of where the first render's time went.
using System.Globalization;

sealed class CpuShares
{
    readonly Dictionary<int, (string Name, long Ticks)> _processes;
    // Chromium's threads by id (name: its process's kind and the thread's, e.g. "renderer CrRendererMain").
    readonly Dictionary<int, (string Name, long Ticks)> _browserThreads;
    readonly long _busy;
    readonly long _total;

    CpuShares(Dictionary<int, (string Name, long Ticks)> processes, Dictionary<int, (string Name, long Ticks)> browserThreads, long busy, long total)
    {
        _processes = processes;
        _browserThreads = browserThreads;
        _busy = busy;
        _total = total;
    }

    static (string Name, long Ticks)? Stat(string path)
    {
        try
        {
            var stat = File.ReadAllText(path);
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            // After the name: state, ppid, …; utime and stime are the 12th and 13th fields from there.
            var fields = stat[(close + 2)..].Split(' ');
            return (stat[(open + 1)..close], long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            // The process ended while it was read.
            return null;
        }
    }

    public static CpuShares Read()
    {
        var processes = new Dictionary<int, (string, long)>();
        var browserThreads = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || Stat(Path.Combine(dir, "stat")) is not { } process) continue;
            processes[pid] = process;
            if (process.Name is not ("chromium" or "chrome")) continue;
            // Chromium rewrites its processes' command lines as one line with spaces (its process titles).
            string kind;
            try
            {
                var type = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', ' ').FirstOrDefault(a => a.StartsWith("--type=", StringComparison.Ordinal));
                kind = type?["--type=".Length..] ?? "browser";
            }
            catch (IOException)
            {
                continue;
            }
            try
            {
                foreach (var task in Directory.EnumerateDirectories(Path.Combine(dir, "task")))
                {
                    if (int.TryParse(Path.GetFileName(task), out var tid) && Stat(Path.Combine(task, "stat")) is { } thread)
                        browserThreads[tid] = ($"{kind} {thread.Name}", thread.Ticks);
                }
            }
            catch (DirectoryNotFoundException)
            {
                // The process ended while it was read.
            }
        }
        // The machine's line: user nice system idle iowait irq softirq steal …; busy is all but idle and iowait.
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return new CpuShares(processes, browserThreads, cpu.Sum() - cpu[3] - cpu[4], cpu.Sum());
    }

    // "machine busy 1,230 of 2,000 ms (2 cores): chromium 640, CrisisDesk.Web 300, postgres 120, …; in chromium:
    // renderer CrRendererMain 300, …" (ms of CPU).
    public string Since(CpuShares before, int top = 6)
    {
        var shares = Used(_processes, before._processes).Take(top).Select(p => $"{p.Name} {p.Ms:N0}");
        var threads = Used(_browserThreads, before._browserThreads).Take(top).Select(p => $"{p.Name} {p.Ms:N0}");
        return $"machine busy {(_busy - before._busy) * MsPerTick:N0} of {(_total - before._total) * MsPerTick:N0} ms of cores ({Environment.ProcessorCount} cores): " +
            string.Join(", ", shares) + "; in chromium: " + string.Join(", ", threads) + " (ms of CPU)";
    }

    const double MsPerTick = 10;

    // CPU used by name between two readings, most first; a process or thread that started after the first counts from zero.
    static IEnumerable<(string Name, double Ms)> Used(Dictionary<int, (string Name, long Ticks)> now, Dictionary<int, (string Name, long Ticks)> then)
    {
        var byName = new Dictionary<string, long>();
        foreach (var (id, (name, ticks)) in now)
        {
            var used = ticks - (then.TryGetValue(id, out var was) && was.Name == name ? was.Ticks : 0);
            if (used > 0) byName[name] = byName.GetValueOrDefault(name) + used;
        }
        return byName.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value * MsPerTick));
    }
}
