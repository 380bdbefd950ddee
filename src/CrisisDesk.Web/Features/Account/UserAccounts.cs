using System.Security.Claims;
using System.Security.Cryptography;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace CrisisDesk.Web.Features.Account;

public sealed record UserAccount(int Id, string UserName, string DisplayName, string Role, bool Disabled, DateTime CreatedAt);

/// <summary>A change to accounts that cannot be made; the message says why in plain words.</summary>
public sealed class AccountException(string message) : Exception(message);

/// <summary>
/// Local accounts in PostgreSQL with ASP.NET Core's <see cref="PasswordHasher{TUser}"/>. Every change is written with
/// its event in one transaction.
/// </summary>
public sealed class UserAccounts(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, SessionStore sessions)
{
    public const int MinimumPasswordLength = PasswordPolicy.MinimumLength;

    private static readonly PasswordHasher<string> Hasher = new();

    // Verifying against this when the user does not exist keeps failed sign-ins equally slow, so timing does not reveal names.
    private static readonly string DummyHash = Hasher.HashPassword("", Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Checks a sign-in and records it (success or failure) in the event log.</summary>
    public async Task<UserAccount?> SignInAsync(string userName, string password, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(int Id, string UserName, string DisplayName, string Role, bool Disabled, DateTime CreatedAt, string PasswordHash)>(
            "SELECT id, user_name, display_name, role, disabled, created_at, password_hash FROM users WHERE lower(user_name) = lower(@userName)",
            new { userName });
        var verified = Hasher.VerifyHashedPassword("", row.PasswordHash ?? DummyHash, password ?? "") != PasswordVerificationResult.Failed;
        var ok = row.UserName is not null && verified && !row.Disabled;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (ok)
        {
            await EventLog.AppendAsync(connection, transaction, row.UserName!, null, new AccountSignedIn(remoteAddress), cancellationToken);
        }
        else
        {
            var reason = row.UserName is null ? "unknown user" : row.Disabled ? "account disabled" : "wrong password";
            await EventLog.AppendAsync(connection, transaction, "anonymous", null, new AccountSignInFailed(userName, reason, remoteAddress), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return ok ? new UserAccount(row.Id, row.UserName!, row.DisplayName, row.Role, row.Disabled, row.CreatedAt) : null;
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string UserName, string DisplayName, string PasswordHash)>(
            "SELECT user_name, display_name, password_hash FROM users WHERE id = @userId AND NOT disabled FOR UPDATE", new { userId }, transaction);
        if (row.UserName is null)
            throw new AccountException("Sign in to change your password.");
        if (Hasher.VerifyHashedPassword("", row.PasswordHash, currentPassword ?? "") == PasswordVerificationResult.Failed)
            throw new AccountException("The current password is not right.");
        if (PasswordPolicy.Problem(newPassword, row.UserName, row.DisplayName) is { } problem)
            throw new AccountException(problem);
        await connection.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @userId",
            new { hash = Hasher.HashPassword(row.UserName, newPassword), userId }, transaction);
        var ended = await sessions.RevokeAllAsync(connection, transaction, userId, "password changed", user.FindFirst(SessionStore.TokenClaim)?.Value, cancellationToken);
        await EventLog.AppendAsync(connection, transaction, row.UserName, null, new AccountPasswordChanged(ended), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        sessions.Forget(userId);
    }

    public async Task<IReadOnlyList<UserAccount>> ListAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "list users", cancellationToken: cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var users = await connection.QueryAsync<UserAccount>(
            "SELECT id, user_name AS UserName, display_name AS DisplayName, role, disabled, created_at AS CreatedAt FROM users ORDER BY lower(user_name)");
        return users.ToList();
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int id;
        try
        {
            id = await connection.ExecuteScalarAsync<int>(
                "INSERT INTO users (user_name, display_name, password_hash, role) VALUES (@userName, @displayName, @hash, @role) RETURNING id",
                new { userName, displayName, hash = Hasher.HashPassword(userName, password!), role }, transaction);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new AccountException($"A user named \"{userName}\" already exists.");
        }
        await EventLog.AppendAsync(connection, transaction, actor, null, new UserCreated(userName, role), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new UserAccount(id, userName, displayName, role, false, DateTime.UtcNow);
    }

    public async Task ChangeRoleAsync(ClaimsPrincipal actor, int userId, string role, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "change roles", cancellationToken: cancellationToken);
        if (!Roles.IsKnown(role))
            throw new AccountException($"The role must be one of {string.Join(", ", Roles.All)}.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<(string UserName, string Role)>(
            "SELECT user_name, role FROM users WHERE id = @userId FOR UPDATE", new { userId }, transaction);
        if (current.UserName is null)
            throw new AccountException("That user no longer exists.");
        if (current.Role == role)
            return;
        if (current.Role == Roles.Admin && await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM users WHERE role = 'Admin' AND NOT disabled", transaction: transaction) <= 1)
            throw new AccountException("This is the last Admin: make someone else Admin first.");
        await connection.ExecuteAsync("UPDATE users SET role = @role WHERE id = @userId", new { role, userId }, transaction);
        var ended = await sessions.RevokeAllAsync(connection, transaction, userId, "role changed", cancellationToken: cancellationToken);
        await EventLog.AppendAsync(connection, transaction, actor.ActorName(), null,
            new UserRoleChanged(current.UserName, current.Role, role, ended), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        sessions.Forget(userId);
    }

    public async Task SetDisabledAsync(ClaimsPrincipal actor, int userId, bool disabled, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, disabled ? "disable users" : "enable users", cancellationToken: cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var userName = await connection.ExecuteScalarAsync<string?>(
            "UPDATE users SET disabled = @disabled WHERE id = @userId AND disabled <> @disabled RETURNING user_name", new { disabled, userId }, transaction);
        if (userName is null)
            return;
        if (userName.Equals(actor.ActorName(), StringComparison.OrdinalIgnoreCase))
            throw new AccountException("You cannot disable your own account.");
        var ended = disabled ? await sessions.RevokeAllAsync(connection, transaction, userId, "account disabled", cancellationToken: cancellationToken) : 0;
        await EventLog.AppendAsync(connection, transaction, actor.ActorName(), null,
            disabled ? new UserDisabled(userName, ended) : new UserEnabled(userName, ended), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        sessions.Forget(userId);
    }

    public async Task<bool> AnyUsersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM users)");
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
