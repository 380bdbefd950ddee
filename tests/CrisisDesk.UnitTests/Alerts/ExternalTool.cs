using System.Diagnostics;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>Runs an independent checker (xmllint, Debian's python3 with feedparser) as a process.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>The tool's path; fails the test (never skips it) when the Debian package is missing.</summary>
    public static string Require(string path, string debianPackage)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: install Debian's {debianPackage} (apt-get install -y {debianPackage}); this test needs an independent checker and must not be skipped");
        }
        return path;
    }

    public static Result Run(string path, params string[] arguments)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
