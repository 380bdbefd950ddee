using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CrisisDesk.Core.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Data.Domain;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>An outside subscriber of the feed hub as the Admin page lists it (never its token).</summary>
public sealed record FeedSubscriber(long Id, string Name, IReadOnlyList<int> IncidentIds, string CreatedBy, DateTimeOffset CreatedAt, string? RevokedBy, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>A subscriber just created, with its token: shown once, then only its hash exists.</summary>
public sealed record CreatedFeedSubscriber(FeedSubscriber Subscriber, string Token);

/// <summary>A feed subscriber command refused for what was asked (no name, no incident, an unknown incident or subscriber).</summary>
public sealed class FeedSubscriberException(string message, int statusCode = StatusCodes.Status400BadRequest) : CommandException(message, statusCode);

/// <summary>
/// Read-only tokens for outside subscribers of <c>/hubs/feed</c> (<c>feed_subscribers</c>, migration 0830). Admins
/// create them, scoped to incidents, and revoke them; both through <see cref="CommandRunner"/>, so each is authorised on
/// the server and written with its event. The token is 32 random bytes, shown once; only its SHA-256 is stored (a
/// random token needs no slow hash).
/// </summary>
public sealed class FeedSubscribers(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, CommandAuthorizer authorizer) : IFeedTokenResolver
{
    public const string TokenPrefix = "cdf_";

    public async Task<IReadOnlyList<FeedSubscriber>> ListAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "see feed subscribers", cancellationToken: cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Every column but the token's hash, which nothing shows.
        var rows = await db.FeedSubscribers.AsNoTracking().OrderBy(s => s.RevokedAt != null).ThenByDescending(s => s.Id)
            .Select(s => new FeedSubscriberRow
            {
                Id = s.Id, Name = s.Name, IncidentIds = s.IncidentIds, CreatedBy = s.CreatedBy, CreatedAt = s.CreatedAt, RevokedBy = s.RevokedBy, RevokedAt = s.RevokedAt,
            })
            .ToListAsync(cancellationToken);
        return rows.Select(ToSubscriber).ToList();
    }

    public async Task<CreatedFeedSubscriber> CreateAsync(ClaimsPrincipal actor, string name, IReadOnlyCollection<int> incidentIds, CancellationToken cancellationToken = default)
    {
        name = (name ?? "").Trim();
        if (name.Length is < 1 or > 100)
            throw new FeedSubscriberException("Name the subscriber (up to 100 characters): who will hold this token.");
        var incidents = (incidentIds ?? []).Distinct().Order().ToArray();
        if (incidents.Length == 0)
            throw new FeedSubscriberException("Choose at least one incident the subscriber may read.");
        return await commands.RunAsync(actor, new CommandSpec(Policies.Admin, "create feed subscribers", null), async command =>
        {
            var known = await command.Db.Incidents.Where(i => incidents.Contains(i.Id)).Select(i => i.Id).ToListAsync(command.CancellationToken);
            if (incidents.Except(known).ToList() is { Count: > 0 } unknown)
                throw new FeedSubscriberException($"No incident {string.Join(", ", unknown)}.");
            var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
            var row = new FeedSubscriberRow { Name = name, TokenHash = Hash(token), IncidentIds = incidents, CreatedBy = command.Actor };
            command.Db.FeedSubscribers.Add(row);
            await command.SaveAsync();
            await command.RecordAsync(null, new FeedSubscriberCreated(row.Id, name, incidents));
            return new CreatedFeedSubscriber(ToSubscriber(row), token);
        }, cancellationToken);
    }

    /// <summary>Revokes the token: it authenticates no more, and the hubs cut its connections (<see cref="FeedRevocationWatch"/>).</summary>
    public Task RevokeAsync(ClaimsPrincipal actor, long subscriberId, CancellationToken cancellationToken = default) =>
        commands.RunAsync(actor, new CommandSpec(Policies.Admin, "revoke feed subscribers", null), async command =>
        {
            // Locked, so that of two Admins revoking at once one revokes and the other is told it is done already.
            var name = await FeedSubscriberLocks.LockValidAsync(command.Db, subscriberId, command.CancellationToken)
                ?? throw new FeedSubscriberException($"No feed subscriber {subscriberId} with a token still valid.", StatusCodes.Status404NotFound);
            await command.Db.FeedSubscribers.Where(s => s.Id == subscriberId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.RevokedAt, r => DateTime.UtcNow).SetProperty(r => r.RevokedBy, command.Actor), command.CancellationToken);
            await command.RecordAsync(null, new FeedSubscriberRevoked(subscriberId, name));
            return true;
        }, cancellationToken);

    public async Task<FeedGrant?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100)
            return null;
        var hash = Hash(token);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.FeedSubscribers.AsNoTracking().Where(s => s.TokenHash == hash && s.RevokedAt == null)
            .Select(s => new FeedGrant(s.Id, s.Name, s.IncidentIds)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Of the subscribers given, those revoked: their connections must go.</summary>
    internal async Task<IReadOnlyList<long>> RevokedAmongAsync(IReadOnlyCollection<long> subscriberIds, CancellationToken cancellationToken)
    {
        if (subscriberIds.Count == 0)
            return [];
        var ids = subscriberIds.ToArray();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.FeedSubscribers.AsNoTracking().Where(s => ids.Contains(s.Id) && s.RevokedAt != null).Select(s => s.Id).ToListAsync(cancellationToken);
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static FeedSubscriber ToSubscriber(FeedSubscriberRow row) => new(row.Id, row.Name, row.IncidentIds, row.CreatedBy,
        DbTime.Utc(row.CreatedAt), row.RevokedBy, row.RevokedAt is { } at ? DbTime.Utc(at) : null);
}
