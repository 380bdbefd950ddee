namespace CrisisDesk.Core.Alerts;

/// <summary>Error: the document breaks the CAP 1.2 schema or a MUST of the specification. Warning: a SHOULD or advice.</summary>
public enum CapProblemSeverity { Error, Warning }

/// <summary>
/// One thing wrong with a CAP document: where (a path such as <c>info[1].area[2].polygon[1]</c>, 1-based, or
/// <c>document</c> when the document as a whole is refused), how bad, and what, in plain words.
/// </summary>
public sealed record CapProblem(CapProblemSeverity Severity, string Path, string Message)
{
    public bool IsError => Severity == CapProblemSeverity.Error;

    public override string ToString() =>
        $"{Path}: {(IsError ? "error" : "warning")}: {Message}";
}

public static class CapProblems
{
    /// <summary>Valid means no errors; warnings do not make a document invalid.</summary>
    public static bool IsValid(this IEnumerable<CapProblem> problems) => !problems.Any(p => p.IsError);
}
