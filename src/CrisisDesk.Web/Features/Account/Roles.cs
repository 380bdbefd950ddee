using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace CrisisDesk.Web.Features.Account;

/// <summary>
/// The four roles, each a superset of the one before: Viewer reads; Operator triages and runs incidents; Approver also
/// approves what others drafted; Admin also manages users, sources and channels.
/// </summary>
public static class Roles
{
    public const string Viewer = nameof(Viewer);
    public const string Operator = nameof(Operator);
    public const string Approver = nameof(Approver);
    public const string Admin = nameof(Admin);

    public static IReadOnlyList<string> All { get; } = [Viewer, Operator, Approver, Admin];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);

    /// <summary>The roles that satisfy a requirement of <paramref name="role"/>: it and every role above it.</summary>
    public static string[] AtLeast(string role) => All.SkipWhile(r => r != role).ToArray();
}

/// <summary>Authorisation policy names: one per role, satisfied by that role or any above it.</summary>
public static class Policies
{
    public const string Viewer = "AtLeastViewer";
    public const string Operator = "AtLeastOperator";
    public const string Approver = "AtLeastApprover";
    public const string Admin = "AtLeastAdmin";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Viewer, p => p.RequireAuthenticatedUser().RequireRole(Roles.AtLeast(Roles.Viewer)));
        options.AddPolicy(Operator, p => p.RequireAuthenticatedUser().RequireRole(Roles.AtLeast(Roles.Operator)));
        options.AddPolicy(Approver, p => p.RequireAuthenticatedUser().RequireRole(Roles.AtLeast(Roles.Approver)));
        options.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.AtLeast(Roles.Admin)));
    }
}

/// <summary>Who is acting, as recorded in the event log.</summary>
public static class ActorExtensions
{
    public static string ActorName(this ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";
}
