using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrisisDesk.Data.Embedded;

/// <summary>
/// A private PostgreSQL cluster started from the installed server binaries: initdb on first use, pg_ctl to start
/// on a free loopback port (TCP only, password auth), stopped again on dispose. Used when no connection string is
/// configured, and by the test fixtures.
/// </summary>
/// <remarks>
/// The server refuses to run as root, so when this process is root the cluster belongs to the <c>postgres</c> user
/// and every server binary runs through <c>runuser</c>.
/// </remarks>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string ServerUser = "crisisdesk";
    private const string RootFallbackOsUser = "postgres";
    private const string ClusterSubdirectory = "postgres";
    private const string CredentialsFileName = "postgres.credentials.json";

    private readonly string _dataDirectory;
    private readonly string _clusterDirectory;
    private readonly string _binDirectory;
    private readonly ILogger _logger;
    private readonly string? _runAs;
    private readonly IReadOnlyDictionary<string, string> _serverSettings;
    private bool _stopped;

    private EmbeddedPostgres(string dataDirectory, string binDirectory, ILogger logger, IReadOnlyDictionary<string, string>? serverSettings)
    {
        _serverSettings = serverSettings ?? new Dictionary<string, string>();
        _dataDirectory = dataDirectory;
        _clusterDirectory = Path.Combine(dataDirectory, ClusterSubdirectory);
        _binDirectory = binDirectory;
        _logger = logger;
        _runAs = Environment.UserName == "root" || IsRoot() ? RootFallbackOsUser : null;
    }

    /// <summary>The connection string of the running cluster's <c>crisisdesk</c> database.</summary>
    public string ConnectionString { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>Where the cluster lives: <c>{dataDirectory}/postgres</c>.</summary>
    public string ClusterDirectory => _clusterDirectory;

    /// <summary>Starts (initialising first if needed) the cluster kept under <paramref name="dataDirectory"/>.</summary>
    /// <param name="serverSettings">Server settings for this start (<c>-c name=value</c>); the tests' throwaway cluster
    /// turns durability off with them, which a cluster that holds an incident never does.</param>
    /// <exception cref="EmbeddedPostgresException">No server binaries, or the server could not be started; the message says what to do.</exception>
    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, string? binDirectory = null,
        ILogger? logger = null, string database = "crisisdesk", IReadOnlyDictionary<string, string>? serverSettings = null,
        CancellationToken cancellationToken = default)
    {
        var bin = string.IsNullOrWhiteSpace(binDirectory) ? FindServerBinaries() : binDirectory;
        if (bin is null || !File.Exists(Path.Combine(bin, "initdb")) || !File.Exists(Path.Combine(bin, "pg_ctl")))
            throw new EmbeddedPostgresException(
                $"No PostgreSQL server binaries were found ({(bin is null ? "looked for initdb and pg_ctl in /usr/lib/postgresql/*/bin and on PATH" : $"none in {bin}")}). " +
                "Install the server (Debian: apt-get install postgresql) or point CrisisDesk at a server with " +
                "--ConnectionStrings:CrisisDesk=\"Host=...;Username=...;Password=...;Database=...\".");
        var server = new EmbeddedPostgres(Path.GetFullPath(dataDirectory), bin, logger ?? NullLogger.Instance, serverSettings);
        await server.StartCoreAsync(database, cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>
    /// The connection string of a cluster already running under <paramref name="dataDirectory"/> (started by a CrisisDesk
    /// server: its port is in <c>postmaster.pid</c>, its password in the credentials file), or null when none answers. For
    /// tools that must not stop the server's cluster by starting it afresh.
    /// </summary>
    public static async Task<string?> ConnectionStringOfRunningAsync(string dataDirectory, string database = "crisisdesk", CancellationToken cancellationToken = default)
    {
        var pidFile = Path.Combine(dataDirectory, ClusterSubdirectory, "postmaster.pid");
        var credentialsFile = Path.Combine(dataDirectory, CredentialsFileName);
        if (!File.Exists(pidFile) || !File.Exists(credentialsFile))
            return null;
        // postmaster.pid: line 4 is the port the server listens on.
        var lines = await File.ReadAllLinesAsync(pidFile, cancellationToken).ConfigureAwait(false);
        if (lines.Length < 4 || !int.TryParse(lines[3], out var port))
            return null;
        var credentials = JsonSerializer.Deserialize<Credentials>(await File.ReadAllTextAsync(credentialsFile, cancellationToken).ConfigureAwait(false));
        if (credentials is null)
            return null;
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = credentials.User,
            Password = credentials.Password,
            Database = database,
            Timeout = 5,
        }.ConnectionString;
        try
        {
            await using var probe = new NpgsqlConnection(connectionString);
            await probe.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connectionString;
        }
        catch (NpgsqlException)
        {
            // A pid file left by a server that was killed.
            return null;
        }
    }

    private string ExtraSettings() =>
        string.Concat(_serverSettings.Select(setting => $" -c {setting.Key}={setting.Value}"));

    /// <summary>The newest installed server's bin directory, or null.</summary>
    public static string? FindServerBinaries()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: Path.Combine(d, "bin"), version: double.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.dir, "initdb")) && File.Exists(Path.Combine(d.dir, "pg_ctl")))
                .OrderByDescending(d => d.version)
                .FirstOrDefault();
            if (newest.dir is not null)
                return newest.dir;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                return ResolveSymlinkDirectory(dir);
        }
        return null;
    }

    private static string ResolveSymlinkDirectory(string dir)
    {
        var target = new FileInfo(Path.Combine(dir, "pg_ctl")).ResolveLinkTarget(returnFinalTarget: true);
        return target is FileInfo file ? file.DirectoryName ?? dir : dir;
    }

    private async Task StartCoreAsync(string database, CancellationToken ct)
    {
        Directory.CreateDirectory(_dataDirectory);
        var secretsFile = Path.Combine(_dataDirectory, CredentialsFileName);
        string password;
        if (!File.Exists(Path.Combine(_clusterDirectory, "PG_VERSION")))
        {
            password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
            await InitialiseClusterAsync(password, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(secretsFile, JsonSerializer.Serialize(new Credentials(ServerUser, password)), ct).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(secretsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        else
        {
            var credentials = File.Exists(secretsFile) ? JsonSerializer.Deserialize<Credentials>(await File.ReadAllTextAsync(secretsFile, ct).ConfigureAwait(false)) : null;
            password = credentials?.Password ?? throw new EmbeddedPostgresException(
                $"The cluster in {_clusterDirectory} exists but its credentials file {secretsFile} is missing; remove the directory to start afresh.");
        }

        // A server left running by a process that was killed (SIGKILL leaves no chance to stop it) is stopped first,
        // so that this process owns the one it talks to and knows its port.
        if (await IsRunningAsync(ct).ConfigureAwait(false))
        {
            _logger.LogWarning("A PostgreSQL server left running in {Directory} is stopped before starting afresh.", _clusterDirectory);
            await RunServerToolAsync("pg_ctl", ["stop", "-D", _clusterDirectory, "-m", "fast", "-w", "-t", "60"], ct).ConfigureAwait(false);
        }

        Port = FreeLoopbackPort();
        var log = Path.Combine(_clusterDirectory, "server.log");
        await RunServerToolAsync("pg_ctl",
        [
            "start", "-D", _clusterDirectory, "-w", "-t", "60", "-l", log,
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={ExtraSettings()}",
        ], ct).ConfigureAwait(false);

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = ServerUser,
            Password = password,
            Database = "postgres",
        };
        await CreateDatabaseIfMissingAsync(builder.ConnectionString, database, ct).ConfigureAwait(false);
        builder.Database = database;
        ConnectionString = builder.ConnectionString;
        _logger.LogInformation("Embedded PostgreSQL is running on 127.0.0.1:{Port} with its data in {Directory}.", Port, _clusterDirectory);
    }

    private async Task InitialiseClusterAsync(string password, CancellationToken ct)
    {
        if (_runAs is not null)
            await EnsureReachableByServerUserAsync(ct).ConfigureAwait(false);
        Directory.CreateDirectory(_clusterDirectory);
        var passwordFile = Path.Combine(_dataDirectory, ".initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, ct).ConfigureAwait(false);
        try
        {
            if (_runAs is not null)
                await RunAsync("chown", ["-R", $"{_runAs}:{_runAs}", _clusterDirectory, passwordFile], ct).ConfigureAwait(false);
            _logger.LogInformation("Initialising a private PostgreSQL cluster in {Directory}.", _clusterDirectory);
            await RunServerToolAsync("initdb",
            [
                "-D", _clusterDirectory, "-U", ServerUser, "--pwfile", passwordFile,
                "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale", "--no-instructions",
            ], ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>As root, the cluster runs as the postgres user, which must be able to reach the directory.</summary>
    private async Task EnsureReachableByServerUserAsync(CancellationToken ct)
    {
        var result = await RunAsync("runuser", ["-u", _runAs!, "--", "test", "-w", _dataDirectory], ct, throwOnFailure: false).ConfigureAwait(false);
        if (result.ExitCode == 0)
            return;
        // The directory is ours (root's): hand it to the server user unless a parent blocks the way.
        await RunAsync("chown", [$"{_runAs}:{_runAs}", _dataDirectory], ct).ConfigureAwait(false);
        result = await RunAsync("runuser", ["-u", _runAs!, "--", "test", "-w", _dataDirectory], ct, throwOnFailure: false).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new EmbeddedPostgresException(
                $"PostgreSQL refuses to run as root, so CrisisDesk runs it as the '{_runAs}' user, which cannot reach {_dataDirectory}. " +
                "Choose a data directory that user can reach, e.g. --CrisisDesk:DataDirectory=/var/lib/crisisdesk.");
    }

    private async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(_clusterDirectory, "postmaster.pid")))
            return false;
        var status = await RunServerToolAsync("pg_ctl", ["status", "-D", _clusterDirectory], ct, throwOnFailure: false).ConfigureAwait(false);
        return status.ExitCode == 0;
    }

    private static async Task CreateDatabaseIfMissingAsync(string maintenanceConnectionString, string database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the server (fast shutdown: open transactions roll back, committed work is durable).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
            return;
        _stopped = true;
        await RunServerToolAsync("pg_ctl", ["stop", "-D", _clusterDirectory, "-m", "fast", "-w", "-t", "60"], CancellationToken.None, throwOnFailure: false).ConfigureAwait(false);
        _logger.LogInformation("Embedded PostgreSQL stopped.");
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private Task<ProcessResult> RunServerToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct, bool throwOnFailure = true)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _runAs is null
            ? RunAsync(path, arguments, ct, throwOnFailure)
            : RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments], ct, throwOnFailure);
    }

    private static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken ct, bool throwOnFailure = true)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        // The server must not inherit a locale the machine lacks.
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new EmbeddedPostgresException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        var result = new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (throwOnFailure && result.ExitCode != 0)
            throw new EmbeddedPostgresException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments.Take(2))} failed with exit code {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        return result;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed record Credentials(string User, string Password);

    private sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);
}

/// <summary>The embedded server cannot be had; the message tells the person what to do.</summary>
public sealed class EmbeddedPostgresException(string message) : Exception(message);
