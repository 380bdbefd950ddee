namespace CrisisDesk.Web.Cli;

/// <summary>The verbs <c>dotnet run --project src/CrisisDesk.Web -- VERB …</c> understands besides running the server.</summary>
public static class CommandLine
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> Verbs = new(StringComparer.Ordinal)
    {
        ["cap"] = CapAsync,
        ["audit"] = CrisisDesk.Web.Features.Audit.AuditCommand.RunAsync,
        ["probe"] = ProbeAsync,
        ["classify"] = ClassifyAsync,
    };

    private static async Task<int> ClassifyAsync(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: classify FILE   (a CrisisLexT26 CSV, or JSON Lines with \"id\" and \"text\")");
            return CrisisDesk.Ingest.Classification.ClassifyCommand.ExitUsage;
        }
        var classifier = CrisisDesk.Ingest.Classification.ClassificationModel.Bundled.CreateClassifier();
        return await CrisisDesk.Ingest.Classification.ClassifyCommand.RunAsync(FromInvocationDirectory(args[0]), Console.Out, Console.Error, classifier);
    }

    private static async Task<int> ProbeAsync(string[] args)
    {
        if (args.Length != 2)
        {
            await Console.Error.WriteLineAsync("usage: probe rss|atom|cap-feed URL_OR_FILE");
            return CrisisDesk.Ingest.Connectors.Feeds.FeedProbe.ExitUsage;
        }
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All }) { Timeout = Timeout.InfiniteTimeSpan };
        return await CrisisDesk.Ingest.Connectors.Feeds.FeedProbe.RunAsync(args[0], FromInvocationDirectory(args[1]), Console.Out, Console.Error, http, CancellationToken.None);
    }

    private static Task<int> CapAsync(string[] args)
    {
        if (args.Length >= 1 && args[0] == "validate")
            return Task.FromResult(CrisisDesk.Core.Alerts.CapValidateCommand.Run(args[1..].Select(FromInvocationDirectory).ToList(), Console.Out, Console.Error));
        Console.Error.WriteLine("usage: cap validate FILE...");
        return Task.FromResult(2);
    }

    /// <summary>
    /// A relative path as the person meant it: from the directory they typed the command in. <c>dotnet run</c> starts
    /// the program in the project's directory, but the shell's <c>PWD</c> still names where they were.
    /// </summary>
    public static string FromInvocationDirectory(string path)
    {
        if (Path.IsPathRooted(path) || path.Contains("://", StringComparison.Ordinal))
            return path;
        var invokedFrom = Environment.GetEnvironmentVariable("PWD");
        return !string.IsNullOrEmpty(invokedFrom) && Directory.Exists(invokedFrom) ? Path.Combine(invokedFrom, path) : path;
    }

    /// <summary>Runs a verb when the first argument names one; otherwise the web host starts.</summary>
    public static bool TryRun(string[] args, out Task<int> exitCode)
    {
        exitCode = Task.FromResult(0);
        if (args.Length == 0 || args[0].StartsWith('-') || !Verbs.TryGetValue(args[0], out var verb))
            return false;
        exitCode = verb(args[1..]);
        return true;
    }
}
