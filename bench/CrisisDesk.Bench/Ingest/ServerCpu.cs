using System.Globalization;
using CrisisDesk.Bench.Shared;
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
        var stat = ProcStat.Stat(backend);
        if (stat is null || stat[0] != "postgres")
            return null;
        var parent = int.Parse(stat[2], CultureInfo.InvariantCulture);
        return ProcStat.Stat(parent) is [ "postgres", .. ] ? new ServerCpu(parent) : null;
    }

    public TimeSpan Used()
    {
        var ticks = 0L;
        if (ProcStat.Stat(_postmaster) is { } own)
            ticks += long.Parse(own[12], CultureInfo.InvariantCulture) + long.Parse(own[13], CultureInfo.InvariantCulture)
                + long.Parse(own[14], CultureInfo.InvariantCulture) + long.Parse(own[15], CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || ProcStat.Stat(pid) is not { } stat
                || stat[2] != _postmaster.ToString(CultureInfo.InvariantCulture))
                continue;
            ticks += long.Parse(stat[12], CultureInfo.InvariantCulture) + long.Parse(stat[13], CultureInfo.InvariantCulture);
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
