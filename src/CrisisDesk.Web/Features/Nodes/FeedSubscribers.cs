using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CrisisDesk.Core.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

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
/// Read-only tokens for outside subscribers of <c>/hubs/feed</c> (<c>feed_subscribers</c>, migration 0830; unmapped in
/// EF, written with Npgsql on the command's transaction). Admins create them, scoped to incidents, and revoke them;
/// both through <see cref="CommandRunner"/>, so each is authorised on the server and written with its event. The token
/// is 32 random bytes, shown once; only its SHA-256 is stored (a random token needs no slow hash).
/// </summary>
public sealed class FeedSubscribers(NpgsqlDataSource dataSource, CommandRunner commands, CommandAuthorizer authorizer) : IFeedTokenResolver
{
    public const string TokenPrefix = "cdf_";

    public async Task<IReadOnlyList<FeedSubscriber>> ListAsync(ClaimsPrincipal actor, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(actor, Policies.Admin, "see feed subscribers", cancellationToken: cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>("""
            SELECT id, name, incident_ids AS IncidentIds, created_by AS CreatedBy, created_at AS CreatedAt, revoked_by AS RevokedBy, revoked_at AS RevokedAt
              FROM feed_subscribers ORDER BY revoked_at IS NOT NULL, id DESC
            """);
        return rows.Select(r => r.ToSubscriber()).ToList();
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
            var known = await command.Connection.QueryAsync<int>("SELECT id FROM incidents WHERE id = ANY(@incidents)", new { incidents }, command.Transaction);
            if (incidents.Except(known).ToList() is { Count: > 0 } unknown)
                throw new FeedSubscriberException($"No incident {string.Join(", ", unknown)}.");
            var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
            var row = await command.Connection.QuerySingleAsync<Row>("""
                INSERT INTO feed_subscribers (name, token_hash, incident_ids, created_by) VALUES (@name, @hash, @incidents, @actor)
                RETURNING id, name, incident_ids AS IncidentIds, created_by AS CreatedBy, created_at AS CreatedAt, revoked_by AS RevokedBy, revoked_at AS RevokedAt
                """, new { name, hash = Hash(token), incidents, actor = command.Actor }, command.Transaction);
            await command.RecordAsync(null, new FeedSubscriberCreated(row.Id, name, incidents));
            return new CreatedFeedSubscriber(row.ToSubscriber(), token);
        }, cancellationToken);
    }

    /// <summary>Revokes the token: it authenticates no more, and the hubs cut its connections (<see cref="FeedRevocationWatch"/>).</summary>
    public Task RevokeAsync(ClaimsPrincipal actor, long subscriberId, CancellationToken cancellationToken = default) =>
        commands.RunAsync(actor, new CommandSpec(Policies.Admin, "revoke feed subscribers", null), async command =>
        {
            var name = await command.Connection.QuerySingleOrDefaultAsync<string?>("""
                UPDATE feed_subscribers SET revoked_at = now(), revoked_by = @actor WHERE id = @subscriberId AND revoked_at IS NULL RETURNING name
                """, new { subscriberId, actor = command.Actor }, command.Transaction);
            if (name is null)
                throw new FeedSubscriberException($"No feed subscriber {subscriberId} with a token still valid.", StatusCodes.Status404NotFound);
            await command.RecordAsync(null, new FeedSubscriberRevoked(subscriberId, name));
            return true;
        }, cancellationToken);

    public async Task<FeedGrant?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100)
            return null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Name, int[] IncidentIds)?>(
            "SELECT id, name, incident_ids FROM feed_subscribers WHERE token_hash = @hash AND revoked_at IS NULL", new { hash = Hash(token) });
        return row is { } found ? new FeedGrant(found.Id, found.Name, found.IncidentIds) : null;
    }

    /// <summary>Of the subscribers given, those revoked: their connections must go.</summary>
    internal async Task<IReadOnlyList<long>> RevokedAmongAsync(IReadOnlyCollection<long> subscriberIds, CancellationToken cancellationToken)
    {
        if (subscriberIds.Count == 0)
            return [];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<long>("SELECT id FROM feed_subscribers WHERE id = ANY(@ids) AND revoked_at IS NOT NULL",
            new { ids = subscriberIds.ToArray() })).ToList();
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Dapper materialises by properties here: it reads integer[] as System.Array, which a constructor cannot take.</summary>
    private sealed class Row
    {
        public long Id { get; set; }
        public string Name { get; set; } = "";
        public int[] IncidentIds { get; set; } = [];
        public string CreatedBy { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public string? RevokedBy { get; set; }
        public DateTime? RevokedAt { get; set; }

        public FeedSubscriber ToSubscriber() => new(Id, Name, IncidentIds, CreatedBy, new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)), RevokedBy,
            RevokedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null);
    }
}
