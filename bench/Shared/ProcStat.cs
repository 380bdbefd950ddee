using System.Globalization;

namespace CrisisDesk.Bench.Shared;

/// <summary>
/// CPU time and resident memory of processes, read from /proc (Linux). CPU time is utime + stime (and, for a process
/// tree, the reaped children's cutime + cstime), in clock ticks of 10 ms; memory is VmRSS. Shared by the benches
/// (linked into each from bench/Shared).
/// </summary>
internal static class ProcStat
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>One process's own CPU time (its threads; not its children).</summary>
    public static TimeSpan Cpu(int pid) =>
        Stat(pid) is { } stat ? Ticks(Field(stat, 12) + Field(stat, 13)) : throw new InvalidOperationException($"process {pid} is gone");

    /// <summary>One process's resident set (VmRSS), in bytes.</summary>
    public static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024; // "VmRSS:  123456 kB"
        }
        throw new InvalidOperationException($"process {pid} has no VmRSS");
    }

    /// <summary>
    /// CPU time of every live process under <paramref name="root"/> (not the root itself) that <paramref name="include"/>
    /// accepts, with the time of their reaped children; the subtree of an excluded process is excluded too.
    /// </summary>
    public static TimeSpan TreeCpu(int root, Func<int, string, bool> include)
    {
        var children = new Dictionary<int, List<(int Pid, string[] Stat)>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || Stat(pid) is not { } stat)
                continue;
            var parent = (int)Field(stat, 2);
            if (!children.TryGetValue(parent, out var list))
                children[parent] = list = [];
            list.Add((pid, stat));
        }
        long ticks = 0;
        var pending = new Stack<int>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            if (!children.TryGetValue(pending.Pop(), out var list))
                continue;
            foreach (var (pid, stat) in list)
            {
                if (!include(pid, stat[0]))
                    continue;
                ticks += Field(stat, 12) + Field(stat, 13) + Field(stat, 14) + Field(stat, 15);
                pending.Push(pid);
            }
        }
        return Ticks(ticks);
    }

    /// <summary>The PostgreSQL server's CPU time: the postmaster's own and its reaped children's, plus every live child's.</summary>
    public static TimeSpan PostgresCpu(int postmaster)
    {
        var own = Stat(postmaster) ?? throw new InvalidOperationException($"the postmaster {postmaster} is gone");
        var ticks = Field(own, 12) + Field(own, 13) + Field(own, 14) + Field(own, 15);
        return Ticks(ticks) + TreeCpu(postmaster, (_, _) => true);
    }

    /// <summary>The postmaster of a backend, when the backend runs on this machine as a postgres process.</summary>
    public static int? PostmasterOf(int backend) =>
        Stat(backend) is [ "postgres", .. ] stat && Stat((int)Field(stat, 2)) is [ "postgres", .. ] ? (int)Field(stat, 2) : null;

    public static string Command(int pid) => Stat(pid)?[0] ?? "";

    private static TimeSpan Ticks(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    private static long Field(string[] stat, int index) => long.Parse(stat[index], CultureInfo.InvariantCulture);

    /// <summary>The fields of /proc/PID/stat after the pid: [0] command, [1] state, [2] parent, … [12] utime, [13] stime, [14] cutime, [15] cstime.</summary>
    public static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            return [text[(open + 1)..close], .. text[(close + 2)..].Split(' ')];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
