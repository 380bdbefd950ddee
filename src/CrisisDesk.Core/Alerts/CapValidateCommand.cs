namespace CrisisDesk.Core.Alerts;

/// <summary>
/// <c>cap validate FILE…</c>: validates CAP files from anywhere on disk. Prints one line per problem,
/// <c>FILE: path: error|warning: message</c>, and <c>FILE: valid CAP 1.2</c> for a file with no errors.
/// Exit 0 when every file is valid (warnings allowed), 1 when any file has errors, 2 when a file cannot be read
/// or no file was given. A document with a DTD is refused before anything it names is fetched.
/// </summary>
public static class CapValidateCommand
{
    public const int ExitValid = 0;
    public const int ExitInvalid = 1;
    public const int ExitUnreadable = 2;

    public static int Run(IReadOnlyList<string> files, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (files.Count == 0)
        {
            stderr.WriteLine("usage: cap validate FILE...  (validates CAP 1.2 alert files)");
            return ExitUnreadable;
        }

        var exit = ExitValid;
        foreach (var file in files)
        {
            IReadOnlyList<CapProblem> problems;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
                problems = CapValidator.Validate(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                stderr.WriteLine($"{file}: error: cannot read the file: {Describe(e)}");
                exit = ExitUnreadable;
                continue;
            }

            foreach (var problem in problems)
            {
                stdout.WriteLine($"{file}: {problem}");
            }
            if (problems.IsValid())
            {
                stdout.WriteLine($"{file}: valid CAP 1.2");
            }
            else if (exit == ExitValid)
            {
                exit = ExitInvalid;
            }
        }
        return exit;
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied, or it is a directory",
        _ => e.Message,
    };
}
