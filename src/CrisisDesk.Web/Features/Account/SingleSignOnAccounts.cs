using System.Security.Claims;
using System.Security.Cryptography;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrisisDesk.Web.Features.Account;

/// <summary>Why a single sign-on was refused: a code for the sign-in page's message, and the reason the event log keeps.</summary>
public sealed class SingleSignOnRefusedException(string code, string reason) : Exception(reason)
{
    public string Code { get; } = code;
}

/// <summary>
/// The accounts behind single sign-on. A person is found by the provider's issuer and subject (never by user name);
/// the first sign-in creates the account, and every sign-in sets its role from the mapped claim, so a group removed at
/// the provider takes the role away here at the next sign-in. Each outcome is written with its event in one transaction,
/// through the DbContext (the account read with <c>FOR UPDATE</c>, so two sign-ins of one person queue on it).
/// </summary>
public sealed class SingleSignOnAccounts(IDbContextFactory<CrisisDeskDbContext> contexts, NpgsqlDataSource dataSource, SessionStore sessions, IOptions<SingleSignOnOptions> options)
{
    /// <summary>The refusal codes the sign-in page explains.</summary>
    public static class Refusals
    {
        public const string NoRole = "no-role";
        public const string NameTaken = "name-taken";
        public const string Disabled = "disabled";
        public const string NoName = "no-name";
        public const string Token = "token";
        public const string Failed = "failed";
    }

    private static readonly PasswordHasher<string> Hasher = new();

    /// <summary>Finds or provisions the account for a validated id token's principal and opens a session for it.</summary>
    /// <exception cref="SingleSignOnRefusedException">Nobody is signed in; the refusal is already recorded.</exception>
    public async Task<(LiveSession Session, string Token)> SignInAsync(ClaimsPrincipal provider, string? remoteAddress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // The handler drops the "iss" claim; every claim carries the validated token's issuer instead.
        var subjectClaim = provider.FindFirst("sub");
        var issuer = subjectClaim?.Issuer ?? "";
        var subject = subjectClaim?.Value ?? "";
        var userName = (provider.FindFirstValue(settings.UserNameClaim) ?? provider.FindFirstValue("email") ?? subject).Trim();
        var displayName = provider.FindFirstValue("name") is { Length: > 0 } name ? name.Trim() : userName;
        var claimValues = provider.FindAll(settings.RoleClaim).Select(c => c.Value).ToList();
        var role = settings.RoleFor(claimValues);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A sign-in that fails rolls back whole (and is recorded apart): no savepoint around each save.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var npgsqlTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();
        try
        {
            if (issuer.Length == 0 || subject.Length == 0)
                throw new SingleSignOnRefusedException(Refusals.Token, "the id token has no issuer or subject");
            if (role is null)
                throw new SingleSignOnRefusedException(Refusals.NoRole,
                    $"no mapped role: {settings.RoleClaim} was {(claimValues.Count == 0 ? "absent" : string.Join(", ", claimValues.Take(10)))}");
            // Locked, as two sign-ins of one person at once must not both change the role (and both end the sessions).
            var row = await AccountLocks.LockExternalAsync(db, issuer, subject, cancellationToken);
            var rolesChanged = false;
            if (row is null)
            {
                if (userName.Length is < 2 or > 64 || !userName.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
                    throw new SingleSignOnRefusedException(Refusals.NoName, $"{settings.UserNameClaim} \"{userName}\" is not a usable user name");
                if (await db.Users.AnyAsync(u => u.UserName.ToLower() == userName.ToLower(), cancellationToken))
                    throw new SingleSignOnRefusedException(Refusals.NameTaken, $"an account named \"{userName}\" already exists and is not linked to this provider");
                // Nobody knows this password: the account signs in only through the provider.
                var unusable = Hasher.HashPassword(userName, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                row = new UserRow
                {
                    UserName = userName, DisplayName = displayName, PasswordHash = unusable, Role = role,
                    ExternalIssuer = issuer, ExternalSubject = subject,
                };
                db.Users.Add(row);
                await db.SaveChangesAsync(cancellationToken);
                await EventLog.AppendAsync(connection, npgsqlTransaction, "system", null, new UserSsoProvisioned(userName, role, issuer, subject), cancellationToken);
            }
            else
            {
                if (row.Disabled)
                    throw new SingleSignOnRefusedException(Refusals.Disabled, "account disabled");
                if (row.Role != role)
                {
                    // The provider is the source of the role: a group removed there takes the role away here, and
                    // the person's other sessions end as with any role change.
                    var from = row.Role;
                    row.Role = role;
                    await db.SaveChangesAsync(cancellationToken);
                    var ended = await sessions.RevokeAllAsync(db, row.Id, "role changed at the identity provider", cancellationToken: cancellationToken);
                    await EventLog.AppendAsync(connection, npgsqlTransaction, "identity provider", null, new UserRoleChanged(row.UserName, from, role, ended), cancellationToken);
                    rolesChanged = true;
                }
                if (row.DisplayName != displayName)
                    row.DisplayName = displayName;
            }
            await db.SaveChangesAsync(cancellationToken);
            await EventLog.AppendAsync(connection, npgsqlTransaction, row.UserName, null,
                new AccountSsoSignedIn(settings.DisplayName, issuer, subject, role, remoteAddress), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (rolesChanged)
                sessions.Forget(row.Id);
            var token = await sessions.CreateAsync(row.Id, remoteAddress, cancellationToken);
            return (new LiveSession(row.Id, row.UserName, displayName, role), token);
        }
        catch (SingleSignOnRefusedException refused)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await RecordRefusalAsync(issuer, subject, userName, refused.Message, remoteAddress, CancellationToken.None);
            throw;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two first sign-ins of the same person at once: the second finds the account the first made next time.
            await transaction.RollbackAsync(CancellationToken.None);
            await RecordRefusalAsync(issuer, subject, userName, "the account was being created by another sign-in at the same moment", remoteAddress, CancellationToken.None);
            throw new SingleSignOnRefusedException(Refusals.Failed, "the account was being created by another sign-in at the same moment");
        }
    }

    /// <summary>Records a sign-in that failed before an account was looked at (a token that failed its checks, a provider error).</summary>
    public Task RecordRefusalAsync(string? issuer, string? subject, string? userName, string reason, string? remoteAddress, CancellationToken cancellationToken) =>
        EventLog.AppendAsync(dataSource, "anonymous", null,
            new AccountSsoSignInRefused(options.Value.DisplayName, NullIfEmpty(issuer), NullIfEmpty(subject), NullIfEmpty(userName), reason, remoteAddress), cancellationToken);

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
