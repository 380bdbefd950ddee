using System.Globalization;
using Npgsql;

namespace CrisisDesk.Bench.Ingest;

/// <summary>
/// CPU time the PostgreSQL server has used, read from /proc when the server runs on this machine: the postmaster's
/// own and reaped children's time plus every live child's. CPU seconds per post stay meaningful when other work
/// shares the cores, where wall-clock rates do not.
/// </summary>
internal sealed class ServerCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _postmaster;

    private ServerCpu(int postmaster) => _postmaster = postmaster;

    /// <summary>Finds the server's postmaster, or null when the server is elsewhere (CRISISDESK_TEST_DB on another host).</summary>
    public static async Task<ServerCpu?> FindAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_backend_pid()");
        var backend = (int)(await command.ExecuteScalarAsync())!;
        var stat = ReadStat(backend);
        if (stat is null || stat[0] != "postgres")
            return null;
        var parent = int.Parse(stat[2], CultureInfo.InvariantCulture);
        return ReadStat(parent) is [ "postgres", .. ] ? new ServerCpu(parent) : null;
    }

    public TimeSpan Used()
    {
        var ticks = 0L;
        if (ReadStat(_postmaster) is { } own)
            ticks += long.Parse(own[12], CultureInfo.InvariantCulture) + long.Parse(own[13], CultureInfo.InvariantCulture)
                + long.Parse(own[14], CultureInfo.InvariantCulture) + long.Parse(own[15], CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || ReadStat(pid) is not { } stat
                || stat[2] != _postmaster.ToString(CultureInfo.InvariantCulture))
                continue;
            ticks += long.Parse(stat[12], CultureInfo.InvariantCulture) + long.Parse(stat[13], CultureInfo.InvariantCulture);
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The fields of /proc/PID/stat after the pid: [0] command, [1] state, [2] parent, … [12] utime, [13] stime, [14] cutime, [15] cstime.</summary>
    private static string[]? ReadStat(int pid)
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
