using CrisisDesk.TestSupport;
using System.Diagnostics;
using CrisisDesk.EndToEndTests.Support;

namespace CrisisDesk.EndToEndTests;

/// <summary>The README's first command: no connection string, so CrisisDesk runs its own PostgreSQL.</summary>
public sealed class EmbeddedDatabaseTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"crisisdesk-e2e-{Guid.NewGuid():N}");

    [Fact]
    public async Task Without_a_connection_string_it_runs_its_own_database_survives_a_kill_and_stops_it_on_exit()
    {
        var settings = new Dictionary<string, string>
        {
            ["CrisisDesk:DataDirectory"] = _dataDirectory,
            ["CrisisDesk:Drill:Speed"] = "1000000",
            ["CrisisDesk:Drill:MaxGapSeconds"] = "0",
        };
        var first = await AppProcess.StartAsync(settings);
        Assert.Contains("CrisisDesk is running: open http://127.0.0.1:", first.Output, StringComparison.Ordinal);
        Assert.Matches("Sign in as \"admin\" with the password \\S{12,}", first.Output);
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "postgres", "postmaster.pid")), "the private cluster should be running");

        // A SIGKILL leaves the private server running with no one to stop it; the next start must cope.
        await first.KillAsync();
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "postgres", "postmaster.pid")));

        var second = await AppProcess.StartAsync(settings);
        Assert.DoesNotContain("with the password", second.Output, StringComparison.Ordinal);
        var exitCode = await second.StopAsync();

        Assert.Equal(0, exitCode);
        Assert.False(File.Exists(Path.Combine(_dataDirectory, "postgres", "postmaster.pid")), "a graceful exit stops the private cluster");
    }

    [Fact]
    public async Task Without_server_binaries_it_says_how_to_install_PostgreSQL_or_set_a_connection_string()
    {
        var info = new ProcessStartInfo(Repository.WebExecutable)
        {
            WorkingDirectory = Repository.WebProjectDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add($"--CrisisDesk:DataDirectory={_dataDirectory}");
        info.ArgumentList.Add($"--CrisisDesk:PostgresBinDirectory={Path.Combine(_dataDirectory, "no-such-bin")}");
        info.ArgumentList.Add("--urls=http://127.0.0.1:0");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(2, process.ExitCode);
        var message = await stderr;
        Assert.Contains("apt-get install postgresql", message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:CrisisDesk", message, StringComparison.Ordinal);
        _ = await stdout;
    }

    public void Dispose()
    {
        // Stop a cluster a failed test left running before removing its directory.
        var cluster = Path.Combine(_dataDirectory, "postgres");
        if (File.Exists(Path.Combine(cluster, "postmaster.pid")) && CrisisDesk.Data.Embedded.EmbeddedPostgres.FindServerBinaries() is { } bin)
        {
            var stop = Environment.UserName == "root"
                ? Process.Start("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "stop", "-D", cluster, "-m", "immediate"])
                : Process.Start(Path.Combine(bin, "pg_ctl"), ["stop", "-D", cluster, "-m", "immediate"]);
            stop?.WaitForExit(30_000);
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was created.
        }
    }
}
