using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>
/// Places each CAP problem next to the field it concerns. A problem whose element has no field of its own (a schema
/// error about a missing child, say) goes to the nearest enclosing block, so that no problem is ever left unshown.
/// </summary>
public sealed class ProblemPlacement(IReadOnlyList<CapProblem> problems)
{
    /// <summary>Info fields the composer shows; their problems are shown there.</summary>
    public static readonly string[] InfoFields =
        ["language", "category", "event", "responseType", "urgency", "severity", "certainty", "audience", "effective", "onset", "expires",
         "senderName", "headline", "description", "instruction", "web", "contact", "parameter"];

    /// <summary>Area fields the composer shows.</summary>
    public static readonly string[] AreaFields = ["areaDesc", "polygon", "circle", "geocode"];

    /// <summary>Alert fields the composer shows.</summary>
    public static readonly string[] AlertFields = ["status", "scope", "restriction", "addresses", "note", "incidents"];

    public IReadOnlyList<CapProblem> All => problems;

    /// <summary>Problems of one field, e.g. <c>info[1].headline</c> or <c>info[1].area[1].polygon</c> (every polygon).</summary>
    public IReadOnlyList<CapProblem> Field(string path) =>
        [.. problems.Where(p => p.Path == path || p.Path.StartsWith(path + "[", StringComparison.Ordinal) || p.Path.StartsWith(path + ".", StringComparison.Ordinal))];

    /// <summary>Problems of a block (<c>alert</c>, <c>info[1]</c>, <c>info[1].area[2]</c>) that no field of it shows.</summary>
    public IReadOnlyList<CapProblem> Rest(string block)
    {
        if (block == "alert")
            return [.. problems.Where(p => !p.Path.StartsWith("info[", StringComparison.Ordinal) && !AlertFields.Contains(FirstStep(p.Path)))];
        var fields = block.Contains(".area[", StringComparison.Ordinal) ? AreaFields : InfoFields.Append("area").ToArray();
        return [.. problems.Where(p => p.Path == block
            || (p.Path.StartsWith(block + ".", StringComparison.Ordinal) && !fields.Contains(FirstStep(p.Path[(block.Length + 1)..]))))];
    }

    private static string FirstStep(string path)
    {
        var end = path.IndexOfAny(['.', '[']);
        return end < 0 ? path : path[..end];
    }
}
