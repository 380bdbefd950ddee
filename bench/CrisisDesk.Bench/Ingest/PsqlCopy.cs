using System.Diagnostics;
using Npgsql;

namespace CrisisDesk.Bench.Ingest;

/// <summary>Runs <c>psql \copy</c> of a file into a table: the raw limit the pipeline is compared with.</summary>
internal static class PsqlCopy
{
    /// <summary>Copies the file and returns the wall time of the psql process (its start-up is a few milliseconds).</summary>
    public static async Task<TimeSpan> RunAsync(string connectionString, string table, RawCopyFile file)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var psql = Environment.GetEnvironmentVariable("CRISISDESK_PSQL") ?? "psql";
        var start = new ProcessStartInfo(psql)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", $"\\copy {table} ({RawCopyFile.Columns}) FROM '{file.Path}' WITH ({file.CopyOptions})" })
            start.ArgumentList.Add(argument);
        // The connection goes in the environment, never on the command line where other users could read the password.
        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = connection.Username;
        start.Environment["PGPASSWORD"] = connection.Password;
        start.Environment["PGDATABASE"] = connection.Database;
        start.Environment["PGAPPNAME"] = "crisisdesk-bench-raw-copy";

        var watch = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{psql} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"psql was not found ({e.Message}): install the PostgreSQL client (apt-get install postgresql-client) or set CRISISDESK_PSQL to its path.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().ConfigureAwait(false);
            watch.Stop();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"psql \\copy failed (exit {process.ExitCode}): {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
        return watch.Elapsed;
    }
}
