using System.Diagnostics;

namespace CrisisDesk.Bench.Shared;

/// <summary>How busy the machine is, for a bench to print beside its figures (linked into each from bench/Shared).</summary>
internal static class MachineLoad
{
    /// <summary>The 1, 5 and 15 minute load averages (Linux), or "?" where there are none.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary><c>uptime</c>'s line (the time, how long up, the load averages), or the load averages without it.</summary>
    public static string Uptime()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("uptime") { RedirectStandardOutput = true })!;
            var text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return "uptime: " + text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "load average: " + LoadAverage();
        }
    }
}
