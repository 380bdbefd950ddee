using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// What this node does: <c>web</c> (pages, APIs, circuits), <c>ingest</c> (sources, pipeline, the <c>/hubs/feed</c>
/// hub) or both, the default, so that one process still runs everything. Set with <c>CrisisDesk:Roles</c>
/// (<c>--CrisisDesk:Roles=web</c>, <c>CrisisDesk__Roles=ingest</c>).
/// </summary>
public sealed record NodeRoles(bool Web, bool Ingest)
{
    public const string Key = "CrisisDesk:Roles";

    public static readonly NodeRoles Both = new(true, true);

    /// <summary>Web only: the war room is fed from an ingest node's hub instead of this process's pipeline.</summary>
    public bool WebOnly => Web && !Ingest;

    /// <summary>
    /// Reads <c>CrisisDesk:Roles</c>. A value that is not understood gives <paramref name="problem"/> and the default
    /// (both), so that registration can go on and the options check at start refuses to run (see <see cref="NodeRolesOptions"/>).
    /// </summary>
    public static NodeRoles Parse(string? value, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(value))
            return Both;
        bool web = false, ingest = false;
        foreach (var word in value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (word.Equals("web", StringComparison.OrdinalIgnoreCase))
                web = true;
            else if (word.Equals("ingest", StringComparison.OrdinalIgnoreCase))
                ingest = true;
            else
            {
                problem = $"{Key} may list only \"web\" and \"ingest\" (comma-separated), not \"{word}\".";
                return Both;
            }
        }
        if (!web && !ingest)
        {
            problem = $"{Key} must name at least one of \"web\" and \"ingest\".";
            return Both;
        }
        return new NodeRoles(web, ingest);
    }

    public override string ToString() => (Web, Ingest) switch
    {
        (true, true) => "web,ingest",
        (true, false) => "web",
        _ => "ingest",
    };
}

/// <summary><c>CrisisDesk:Roles</c> as bound, checked at start.</summary>
public sealed class NodeRolesOptions
{
    public const string Section = "CrisisDesk";

    public string? Roles { get; set; }
}

internal sealed class NodeRolesValidation : IValidateOptions<NodeRolesOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeRolesOptions options)
    {
        NodeRoles.Parse(options.Roles, out var problem);
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }
}
