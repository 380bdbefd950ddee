using System.Security.Claims;
using System.Security.Cryptography;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Commands;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Account;

public sealed record UserAccount(int Id, string UserName, string DisplayName, string Role, bool Disabled, DateTime CreatedAt);

/// <summary>A change to accounts that cannot be made; the message says why in plain words.</summary>
public sealed class AccountException(string message, int statusCode = StatusCodes.Status400BadRequest) : CommandException(message, statusCode);

/// <summary>
/// Local accounts in PostgreSQL with ASP.NET Core's <see cref="PasswordHasher{TUser}"/>, through the DbContext. Every
/// change is one <see cref="CommandRunner"/> command: the account read tracked and saved under its xmin token, its
/// sessions revoked and its event appended in the same transaction. When two admins change one account at once, the
/// later save finds the row changed and runs again on it as it now is, so both changes land in order, each recorded
/// with the state it really changed (never one laid over the other unseen).
/// </summary>
public sealed class UserAccounts(
    IDbContextFactory<CrisisDeskDbContext> contexts,
    CommandRunner commands,
    CommandAuthorizer authorizer,
    NpgsqlDataSource dataSource,
    SessionStore sessions)
{
    public const int MinimumPasswordLength = PasswordPolicy.MinimumLength;

    private static readonly PasswordHasher<string> Hasher = new();

    // Verifying against this when the user does not exist keeps failed sign-ins equally slow, so timing does not reveal names.
    private static readonly string DummyHash = Hasher.HashPassword("", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    // Compiled once: every sign-in runs it. lower() on both sides, as the unique index users_user_name_key is.
    private static readonly Func<CrisisDeskDbContext, string, CancellationToken, Task<UserRow?>> ByUserNameQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, string userName, CancellationToken _) =>
            db.Users.AsNoTracking().SingleOrDefault(u => u.UserName.ToLower() == userName.ToLower()));

    // Compiled once: every change to an account reads it tracked, with its xmin, in the command's transaction.
    private static readonly Func<CrisisDeskDbContext, int, CancellationToken, Task<UserRow?>> ForChangeQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int userId, CancellationToken _) => db.Users.SingleOrDefault(u => u.Id == userId));

    private static AccountException Conflict() =>
        new("Others changed this account at the same moment, several times over: look at it again and retry.", StatusCodes.Status409Conflict);

    /// <summary>Checks a sign-in and records it (success or failure) in the event log.</summary>
    public async Task<UserAccount?> SignInAsync(string userName, string password, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        UserRow? row;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            row = await ByUserNameQuery(db, userName ?? "", cancellationToken);
        var verified = Hasher.VerifyHashedPassword("", row?.PasswordHash ?? DummyHash, password ?? "") != PasswordVerificationResult.Failed;
        var ok = row is not null && verified && !row.Disabled;
        if (ok)
        {
            await EventLog.AppendAsync(dataSource, row!.UserName, null, new AccountSignedIn(remoteAddress), cancellationToken);
        }
        else
        {
            var reason = row is null ? "unknown user" : row.Disabled ? "account disabled" : "wrong password";
            await EventLog.AppendAsync(dataSource, "anonymous", null, new AccountSignInFailed(userName!, reason, remoteAddress), cancellationToken);
        }
        return ok ? new UserAccount(row!.Id, row.UserName, row.DisplayName, row.Role, row.Disabled, row.CreatedAt) : null;
    }

    /// <summary>Ends the caller's session on the server (the cookie no longer counts anywhere) and records it.</summary>
    public async Task SignOutAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default, string? signingOutPage = null)
    {
        if (user.FindFirst(SessionStore.TokenClaim)?.Value is { } token)
            await sessions.RevokeAsync(token, "signed out", cancellationToken, signingOutPage);
        await EventLog.AppendAsync(dataSource, user.ActorName(), null, new AccountSignedOut(), cancellationToken);
    }

    /// <summary>
    /// Changes the caller's own password once the current one is confirmed; every other session of theirs ends (the one
    /// making the change stays signed in).
    /// </summary>
    public async Task ChangePasswordAsync(ClaimsPrincipal user, string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        if (!int.TryParse(user.FindFirst(ClaimTypes.NameIdentifier)?.Value, System.Globalization.CultureInfo.InvariantCulture, out var userId))
            throw new AccountException("Sign in to change your password.");
        var keepToken = user.FindFirst(SessionStore.TokenClaim)?.Value;
        await CommandRunner.RunWithRetryAsync(() => commands.RunAsAsync(user.ActorName(), async command =>
        {
            var row = await ForChangeQuery(command.Db, userId, cancellationToken);
            if (row is null || row.Disabled)
                throw new AccountException("Sign in to change your password.");
            if (Hasher.VerifyHashedPassword("", row.PasswordHash, currentPassword ?? "") == PasswordVerificationResult.Failed)
                throw new AccountException("The current password is not right.");
            if (PasswordPolicy.Problem(newPassword, row.UserName, row.DisplayName) is { } problem)
                throw new AccountException(problem);
            row.PasswordHash = Hasher.HashPassword(row.UserName, newPassword);
            await command.SaveAsync();
            var ended = await sessions.RevokeAllAsync(command.Db, userId, "password changed", keepToken, cancellationToken);
            await EventLog.AppendAsync(command.Connection, command.Transaction, row.UserName, null, new AccountPasswordChanged(ended), cancellationToken);
            return true;
        }, cancellationToken), Conflict);
        sessions.Forget(userId);
    }

    public async Task<IReadOnlyList<UserAccount>> ListAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "list users", cancellationToken: cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .OrderBy(u => u.UserName.ToLower())
            .Select(u => new UserAccount(u.Id, u.UserName, u.DisplayName, u.Role, u.Disabled, u.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<UserAccount> CreateAsync(ClaimsPrincipal actor, string userName, string displayName, string role, string password, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "create users", cancellationToken: cancellationToken);
        return await CreateCoreAsync(actor.ActorName(), userName, displayName, role, password, cancellationToken);
    }

    /// <summary>Creates the first admin at first run, on behalf of the system.</summary>
    internal Task<UserAccount> CreateInitialAdminAsync(string userName, string password, CancellationToken cancellationToken) =>
        CreateCoreAsync("system", userName, userName, Roles.Admin, password, cancellationToken);

    private async Task<UserAccount> CreateCoreAsync(string actor, string userName, string displayName, string role, string password, CancellationToken cancellationToken)
    {
        userName = (userName ?? "").Trim();
        displayName = string.IsNullOrWhiteSpace(displayName) ? userName : displayName.Trim();
        if (userName.Length is < 2 or > 64 || !userName.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
            throw new AccountException("A user name has 2 to 64 letters, digits, dots, dashes, underscores or @.");
        if (!Roles.IsKnown(role))
            throw new AccountException($"The role must be one of {string.Join(", ", Roles.All)}.");
        if (PasswordPolicy.Problem(password, userName, displayName) is { } problem)
            throw new AccountException(problem);
        var row = new UserRow { UserName = userName, DisplayName = displayName, PasswordHash = Hasher.HashPassword(userName, password!), Role = role };
        return await commands.RunAsAsync(actor, async command =>
        {
            command.Db.Users.Add(row);
            try
            {
                await command.SaveAsync();
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                throw new AccountException($"A user named \"{userName}\" already exists.");
            }
            await command.RecordAsync(null, new UserCreated(userName, role));
            return new UserAccount(row.Id, userName, displayName, role, false, row.CreatedAt);
        }, cancellationToken);
    }

    /// <summary>
    /// Gives an account another role and ends its sessions. Demoting an Admin locks every enabled Admin's row before
    /// counting them, so two admins demoting each other at once cannot both pass the last-Admin check: the second
    /// counts after the first commits and is refused.
    /// </summary>
    public async Task ChangeRoleAsync(ClaimsPrincipal actor, int userId, string role, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "change roles", cancellationToken: cancellationToken);
        if (!Roles.IsKnown(role))
            throw new AccountException($"The role must be one of {string.Join(", ", Roles.All)}.");
        var changed = await CommandRunner.RunWithRetryAsync(() => commands.RunAsAsync(actor.ActorName(), async command =>
        {
            var user = await ForChangeQuery(command.Db, userId, cancellationToken)
                ?? throw new AccountException("That user no longer exists.");
            if (user.Role == role)
            {
                command.NothingChanged();
                return false;
            }
            if (user.Role == Roles.Admin && !user.Disabled && await AccountLocks.LockEnabledInRoleAsync(command.Db, Roles.Admin, cancellationToken) <= 1)
                throw new AccountException("This is the last Admin: make someone else Admin first.");
            var from = user.Role;
            user.Role = role;
            await command.SaveAsync();
            var ended = await sessions.RevokeAllAsync(command.Db, userId, "role changed", cancellationToken: cancellationToken);
            await command.RecordAsync(null, new UserRoleChanged(user.UserName, from, role, ended));
            return true;
        }, cancellationToken), Conflict);
        if (changed)
            sessions.Forget(userId);
    }

    /// <summary>
    /// Disables or enables an account; disabling ends its sessions. Disabling an Admin locks and counts the enabled
    /// Admins, as demoting one does, so the last enabled Admin cannot go.
    /// </summary>
    public async Task SetDisabledAsync(ClaimsPrincipal actor, int userId, bool disabled, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, disabled ? "disable users" : "enable users", cancellationToken: cancellationToken);
        var changed = await CommandRunner.RunWithRetryAsync(() => commands.RunAsAsync(actor.ActorName(), async command =>
        {
            var user = await ForChangeQuery(command.Db, userId, cancellationToken);
            if (user is null || user.Disabled == disabled)
            {
                command.NothingChanged();
                return false;
            }
            if (user.UserName.Equals(actor.ActorName(), StringComparison.OrdinalIgnoreCase))
                throw new AccountException("You cannot disable your own account.");
            // As with demoting: two Admins disabling each other at once must not both pass, so the Admins are locked and counted.
            if (disabled && user.Role == Roles.Admin && await AccountLocks.LockEnabledInRoleAsync(command.Db, Roles.Admin, cancellationToken) <= 1)
                throw new AccountException("This is the last enabled Admin: make someone else Admin first.");
            user.Disabled = disabled;
            await command.SaveAsync();
            var ended = disabled ? await sessions.RevokeAllAsync(command.Db, userId, "account disabled", cancellationToken: cancellationToken) : 0;
            await command.RecordAsync(null, disabled ? new UserDisabled(user.UserName, ended) : new UserEnabled(user.UserName, ended));
            return true;
        }, cancellationToken), Conflict);
        if (changed)
            sessions.Forget(userId);
    }

    public async Task<bool> AnyUsersAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AnyAsync(cancellationToken);
    }

    /// <summary>
    /// The claims of a signed-in person: their session token (all the cookie needs) and, filled from the account on
    /// every request, who they are and their role now.
    /// </summary>
    public static ClaimsPrincipal Principal(LiveSession session, string sessionToken, string authenticationType) => new(new ClaimsIdentity(
    [
        new Claim(SessionStore.TokenClaim, sessionToken),
        new Claim(ClaimTypes.NameIdentifier, session.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new Claim(ClaimTypes.Name, session.UserName),
        new Claim("display_name", session.DisplayName),
        new Claim(ClaimTypes.Role, session.Role),
    ], authenticationType));
}
