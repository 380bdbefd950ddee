using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>
/// CrisisDesk's own executable (the Release build output of src/CrisisDesk.Web), started as a user starts it, on a
/// free loopback port; a small copy of the end-to-end tests' AppProcess. Its output goes to a log file, and the last
/// lines are kept for errors.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly StreamWriter _log;
    private bool _closed;

    private AppProcess(Process process, Uri baseAddress, string logPath)
    {
        _process = process;
        BaseAddress = baseAddress;
        LogPath = logPath;
        _log = new StreamWriter(logPath) { AutoFlush = true };
    }

    public string LogPath { get; }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string LastOutput
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    public static async Task<AppProcess> StartAsync(string executable, string workingDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"--urls={baseAddress}");
        foreach (var (key, value) in settings)
            info.ArgumentList.Add($"--{key}={value}");
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var app = new AppProcess(process, baseAddress, Path.Combine(Path.GetTempPath(), $"crisisdesk-warroom-bench-{process.Id}.log"));
        process.OutputDataReceived += (_, e) => app.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => app.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await app.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        return app;
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (!_closed)
                _log.WriteLine(line);
            _output.Enqueue(line);
            if (_output.Count > KeptLines)
                _output.Dequeue();
        }
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"CrisisDesk exited with code {_process.ExitCode} while starting:\n{LastOutput}");
            try
            {
                if ((await client.GetAsync(new Uri(BaseAddress, "/healthz"))).IsSuccessStatusCode)
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
        throw new TimeoutException($"CrisisDesk did not answer /healthz within {timeout}:\n{LastOutput}");
    }

    /// <summary>SIGKILL, for when the bench itself is being stopped.</summary>
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM, as systemd or Ctrl+C would stop it; SIGKILL if it does not stop in time.
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: false);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        lock (_output)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
