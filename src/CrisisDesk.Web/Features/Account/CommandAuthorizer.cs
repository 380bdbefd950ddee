using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Account;

/// <summary>An operator command refused on the server because the person's role does not allow it.</summary>
public sealed class CommandDeniedException(string action, string policy)
    : CommandException($"You are not allowed to {action}: it needs the {policy.Replace("AtLeast", "", StringComparison.Ordinal)} role or above.", StatusCodes.Status403Forbidden)
{
    public string Action { get; } = action;
}

/// <summary>
/// Checks a command against a policy on the server, whatever the UI showed, and records every refusal in the event log.
/// The role is read afresh from the database, so a role changed or an account disabled a minute ago counts now,
/// even in a war room that has been open all day.
/// </summary>
public sealed class CommandAuthorizer(IAuthorizationService authorization, NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
{
    // Compiled once: every command runs it. lower() on both sides, as the unique index users_user_name_key is.
    private static readonly Func<CrisisDeskDbContext, string, CancellationToken, Task<string?>> RoleQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, string name, CancellationToken _) =>
            db.Users.Where(u => u.UserName.ToLower() == name.ToLower() && !u.Disabled).Select(u => (string?)u.Role).FirstOrDefault());

    /// <exception cref="CommandDeniedException">The person may not run it; the refusal is already recorded.</exception>
    public Task RequireAsync(ClaimsPrincipal user, string policy, string action, int? incidentId = null, CancellationToken cancellationToken = default) =>
        RequireAsync(null, user, policy, action, incidentId, cancellationToken);

    /// <summary>
    /// The same check, reading the role through <paramref name="db"/> (a command's own DbContext, its transaction open)
    /// instead of a context of its own: one pool rent less on a command's path. A refusal is still recorded on its own
    /// connection, so it stays when the command rolls back.
    /// </summary>
    /// <exception cref="CommandDeniedException">The person may not run it; the refusal is already recorded.</exception>
    public async Task RequireAsync(CrisisDeskDbContext? db, ClaimsPrincipal user, string policy, string action, int? incidentId, CancellationToken cancellationToken)
    {
        var current = await CurrentAsync(db, user, cancellationToken);
        var result = await authorization.AuthorizeAsync(current, resource: null, policy);
        if (result.Succeeded)
            return;
        await EventLog.AppendAsync(dataSource, user.ActorName(), incidentId, new AuthorizationDenied(action, Policy: policy), cancellationToken);
        throw new CommandDeniedException(action, policy);
    }

    private async Task<ClaimsPrincipal> CurrentAsync(CrisisDeskDbContext? shared, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (user.Identity?.IsAuthenticated != true || user.Identity.Name is not { } name)
            return new ClaimsPrincipal(new ClaimsIdentity());
        await using var own = shared is null ? await contexts.CreateDbContextAsync(cancellationToken) : null;
        if (await RoleQuery(shared ?? own!, name, cancellationToken) is not { } role)
            return new ClaimsPrincipal(new ClaimsIdentity());
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], user.Identity.AuthenticationType));
    }
}
