namespace CrisisDesk.Web.Cli;

/// <summary>The verbs <c>dotnet run --project src/CrisisDesk.Web -- VERB …</c> understands besides running the server.</summary>
public static class CommandLine
{
    private static readonly Dictionary<string, Func<string[], Task<int>>> Verbs = new(StringComparer.Ordinal);

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
