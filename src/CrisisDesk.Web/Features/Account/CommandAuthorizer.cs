using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using Microsoft.AspNetCore.Authorization;
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
public sealed class CommandAuthorizer(IAuthorizationService authorization, NpgsqlDataSource dataSource)
{
    /// <exception cref="CommandDeniedException">The person may not run it; the refusal is already recorded.</exception>
    public Task RequireAsync(ClaimsPrincipal user, string policy, string action, int? incidentId = null, CancellationToken cancellationToken = default) =>
        RequireAsync(null, user, policy, action, incidentId, cancellationToken);

    /// <summary>
    /// The same check, reading the role on <paramref name="connection"/> (a command's own, already open) instead of a
    /// connection of its own: one pool rent less on a command's path. A refusal is still recorded on its own
    /// connection, so it stays when the command rolls back.
    /// </summary>
    /// <exception cref="CommandDeniedException">The person may not run it; the refusal is already recorded.</exception>
    public async Task RequireAsync(NpgsqlConnection? connection, ClaimsPrincipal user, string policy, string action, int? incidentId, CancellationToken cancellationToken)
    {
        var current = await CurrentAsync(connection, user, cancellationToken);
        var result = await authorization.AuthorizeAsync(current, resource: null, policy);
        if (result.Succeeded)
            return;
        await EventLog.AppendAsync(dataSource, user.ActorName(), incidentId, new AuthorizationDenied(action, Policy: policy), cancellationToken);
        throw new CommandDeniedException(action, policy);
    }

    private async Task<ClaimsPrincipal> CurrentAsync(NpgsqlConnection? shared, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (user.Identity?.IsAuthenticated != true || user.Identity.Name is not { } name)
            return new ClaimsPrincipal(new ClaimsIdentity());
        await using var own = shared is null ? await dataSource.OpenConnectionAsync(cancellationToken) : null;
        await using var command = new NpgsqlCommand("SELECT role FROM users WHERE lower(user_name) = lower($1) AND NOT disabled", shared ?? own)
        {
            Parameters = { new() { Value = name } },
        };
        if (await command.ExecuteScalarAsync(cancellationToken) is not string role)
            return new ClaimsPrincipal(new ClaimsIdentity());
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], user.Identity.AuthenticationType));
    }
}
