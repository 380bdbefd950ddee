using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace CrisisDesk.TestSupport;

/// <summary>
/// CrisisDesk's own executable, started as a user starts it (the build output of src/CrisisDesk.Web, in the project's
/// directory, default environment), on a free loopback port; for the end-to-end tests and the benches that need the
/// real thing. What it prints is kept (<see cref="Output"/>) and written as it comes to
/// <c>crisisdesk-NAME-PID.log</c> in <c>CRISISDESK_E2E_LOG_DIR</c> (test.sh shows those logs when a test fails) or the
/// temporary directory. Stopped gracefully (SIGTERM) or killed (SIGKILL).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _log;
    private bool _closed;

    private AppProcess(Process process, Uri baseAddress, string logPath)
    {
        _process = process;
        BaseAddress = baseAddress;
        LogPath = logPath;
        _log = new StreamWriter(logPath) { AutoFlush = true };
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Where what the process prints is written, as it comes.</summary>
    public string LogPath { get; }

    /// <summary>Everything the process printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>
    /// Starts CrisisDesk with the given configuration (<c>key=value</c>, passed as <c>--key=value</c>) and waits until
    /// /healthz answers. <paramref name="logName"/> names its log file (by default the calling test's file, so that
    /// test.sh can show the logs of the classes that failed); <paramref name="baseAddress"/>, when given, is where it
    /// listens (a restart at the address a browser already uses), else a free loopback port.
    /// </summary>
    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string> settings, string? logName = null, TimeSpan? timeout = null, Uri? baseAddress = null,
        [CallerFilePath] string callerFile = "")
    {
        logName ??= Path.GetFileNameWithoutExtension(callerFile);
        baseAddress ??= new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo(Repository.WebExecutable)
        {
            WorkingDirectory = Repository.WebProjectDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"--urls={baseAddress}");
        foreach (var (key, value) in settings)
            info.ArgumentList.Add($"--{key}={value}");
        info.Environment["DOTNET_NOLOGO"] = "1";
        var logDirectory = Environment.GetEnvironmentVariable("CRISISDESK_E2E_LOG_DIR") is { Length: > 0 } configured ? configured : Path.GetTempPath();
        Directory.CreateDirectory(logDirectory);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Repository.WebExecutable}.");
        var app = new AppProcess(process, baseAddress, Path.Combine(logDirectory, $"crisisdesk-{logName}-{process.Id}.log"));
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await app.WaitUntilHealthyAsync(timeout ?? TimeSpan.FromSeconds(90));
        return app;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.AppendLine(line);
            if (!_closed)
                _log.WriteLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"CrisisDesk exited with code {_process.ExitCode} while starting:\n{Output}");
            try
            {
                var response = await client.GetAsync(new Uri(BaseAddress, "/healthz"));
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow to answer while starting.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"CrisisDesk did not answer /healthz within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGKILL without waiting, for when the caller itself is being stopped (Ctrl+C).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already stopped and disposed.
        }
    }

    /// <summary>SIGTERM, as systemd or Ctrl+C would stop it, then waits for the exit.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(wait.Token);
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
            }
        }
        _process.Dispose();
        lock (_output)
            _closed = true;
        await _log.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Where things are in the repository the caller was built from.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string WebProjectDirectory => Path.Combine(Root, "src", "CrisisDesk.Web");

    /// <summary>
    /// The web app built with the same configuration as the caller (bin/&lt;Configuration&gt;/&lt;tfm&gt;/; a project
    /// reference to src/CrisisDesk.Web builds it first). Framework-dependent: the apphost runs on the installed runtime.
    /// </summary>
    public static string WebExecutable
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory);
            var path = Path.Combine(WebProjectDirectory, "bin", output.Parent!.Name, output.Name, "CrisisDesk.Web");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The CrisisDesk.Web executable is not built at {path}; build the solution first.");
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CrisisDesk.sln")))
                return directory.FullName;
        }
        throw new DirectoryNotFoundException("CrisisDesk.sln was not found above the output directory.");
    }
}
