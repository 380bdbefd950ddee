using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// The feed hub's own authentication: a bearer token, from <c>Authorization: Bearer …</c> or, because browsers cannot
/// set headers on WebSockets, the <c>access_token</c> query of a <c>/hubs/feed</c> request. Either the cluster key
/// (a CrisisDesk web node: every incident) or an outside subscriber's read-only token (its incidents only). Cookies
/// play no part, so the hub needs no cross-site guard.
/// </summary>
public static class FeedToken
{
    public const string Scheme = "FeedToken";
    public const string Policy = "FeedReader";

    /// <summary>The claim naming an incident the caller may read; a node has <see cref="AllIncidents"/> instead.</summary>
    public const string IncidentClaim = "crisisdesk:feed-incident";

    public const string AllIncidents = "*";

    /// <summary>The subscriber token's id (absent for a node): the hub cuts its connections when it is revoked.</summary>
    public const string SubscriberClaim = "crisisdesk:feed-subscriber";

    public static bool IsNode(ClaimsPrincipal? user) => user?.HasClaim(IncidentClaim, AllIncidents) == true;

    public static bool MayRead(ClaimsPrincipal? user, int incidentId) =>
        user is not null && (IsNode(user) || user.HasClaim(IncidentClaim, incidentId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Compares in constant time, on hashes so that the lengths do not show either.</summary>
    internal static bool SameSecret(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    internal static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments(FeedHub.Path) && request.Query["access_token"].ToString() is { Length: > 0 } query)
            return query;
        return null;
    }
}

/// <summary>Resolves an outside subscriber's token to the incidents it may read, or null when unknown or revoked.</summary>
public interface IFeedTokenResolver
{
    Task<FeedGrant?> ResolveAsync(string token, CancellationToken cancellationToken);
}

/// <summary>What an outside subscriber's token allows.</summary>
public sealed record FeedGrant(long SubscriberId, string Name, IReadOnlyList<int> IncidentIds);

internal sealed class FeedTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<FeedHubOptions> nodes,
    IEnumerable<IFeedTokenResolver> resolvers) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (FeedToken.Presented(Request) is not { Length: > 0 } token)
            return AuthenticateResult.NoResult();
        if (nodes.Value.ClusterKey is { Length: > 0 } key && FeedToken.SameSecret(token, key))
        {
            var node = new ClaimsIdentity([new Claim(ClaimTypes.Name, "node"), new Claim(FeedToken.IncidentClaim, FeedToken.AllIncidents)], FeedToken.Scheme);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(node), FeedToken.Scheme));
        }
        foreach (var resolver in resolvers)
        {
            if (await resolver.ResolveAsync(token, Context.RequestAborted) is { } grant)
            {
                var claims = new List<Claim>
                {
                    new(ClaimTypes.Name, grant.Name),
                    new(FeedToken.SubscriberClaim, grant.SubscriberId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                };
                claims.AddRange(grant.IncidentIds.Select(id => new Claim(FeedToken.IncidentClaim, id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, FeedToken.Scheme)), FeedToken.Scheme));
            }
        }
        return AuthenticateResult.Fail("unknown or revoked token");
    }
}
