using System.Net;
using CrisisDesk.Ingest.Connectors;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Account;

/// <summary>
/// Single sign-on through the organisation's OpenID Connect provider (<c>CrisisDesk:Oidc</c>). Off while
/// <see cref="Authority"/> is empty; local accounts work either way.
/// </summary>
public sealed class SingleSignOnOptions
{
    public const string Section = "CrisisDesk:Oidc";

    /// <summary>The provider's issuer address; its discovery document is at <c>.well-known/openid-configuration</c> under it.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>
    /// The name of the client secret under <c>CrisisDesk:Secrets</c> (kept in user secrets or the environment, like
    /// every credential), not the secret itself. Empty for a public client (PKCE alone).
    /// </summary>
    public string? ClientSecret { get; set; } = "Oidc:ClientSecret";

    /// <summary>The id token claim holding the person's groups or roles (one claim, or a JSON array of them).</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Claim value → CrisisDesk role (Viewer, Operator, Approver, Admin). Several matching: the highest counts.</summary>
    public Dictionary<string, string> RoleMap { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The claim that becomes the CrisisDesk user name at the first sign-in (falling back to email, then subject).</summary>
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>Scopes asked for beyond <c>openid profile</c>.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The provider's name on the sign-in button: "Sign in with …".</summary>
    public string DisplayName { get; set; } = "single sign-on";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The CrisisDesk role for a person's claim values: the highest one mapped, or null when none is.</summary>
    public string? RoleFor(IEnumerable<string> claimValues)
    {
        var map = new Dictionary<string, string>(RoleMap, StringComparer.OrdinalIgnoreCase);
        var mapped = claimValues.Select(v => map.GetValueOrDefault(v)).Where(r => r is not null && Roles.IsKnown(r)).ToHashSet();
        return Roles.All.LastOrDefault(mapped.Contains);
    }
}

/// <summary>Checks the single sign-on settings at start, each problem in words naming its setting.</summary>
public sealed class SingleSignOnOptionsValidator(IConfiguration configuration) : IValidateOptions<SingleSignOnOptions>
{
    public ValidateOptionsResult Validate(string? name, SingleSignOnOptions options)
    {
        const string S = SingleSignOnOptions.Section;
        if (!options.Enabled)
            return string.IsNullOrWhiteSpace(options.ClientId)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{S}:ClientId is set but {S}:Authority is not: set the provider's issuer address too (or remove the client id to keep single sign-on off).");
        var problems = new List<string>();
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            problems.Add($"{S}:Authority must be the provider's absolute https address (e.g. https://login.example.org/realms/ops), not \"{options.Authority}\".");
        else if (authority.Scheme == Uri.UriSchemeHttp && !AllowsHttp(authority, configuration))
            problems.Add($"{S}:Authority must use https: tokens and the client secret are not sent over plain http.");
        if (string.IsNullOrWhiteSpace(options.ClientId))
            problems.Add($"{S}:ClientId must be set: the client id registered for CrisisDesk at the provider.");
        if (!string.IsNullOrWhiteSpace(options.ClientSecret) && new SourceSecrets(configuration).Find(options.ClientSecret) is null)
            problems.Add($"{S}:ClientSecret names the secret \"{options.ClientSecret}\", but CrisisDesk:Secrets:{options.ClientSecret} has no value: put the client secret there (user secrets or the environment), or empty {S}:ClientSecret for a public client.");
        if (string.IsNullOrWhiteSpace(options.RoleClaim))
            problems.Add($"{S}:RoleClaim must name the claim that carries groups or roles (e.g. roles or groups).");
        if (options.RoleMap.Count == 0)
            problems.Add($"{S}:RoleMap must map at least one {options.RoleClaim} value to a role ({string.Join(", ", Roles.All)}): without it nobody could sign in.");
        foreach (var (value, role) in options.RoleMap)
        {
            if (!Roles.IsKnown(role ?? ""))
                problems.Add($"{S}:RoleMap:{value} is \"{role}\", which is not a role: use one of {string.Join(", ", Roles.All)}.");
        }
        if (string.IsNullOrWhiteSpace(options.DisplayName))
            problems.Add($"{S}:DisplayName must not be empty: it names the provider on the sign-in button.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Plain http only to a loopback provider, and only with the test-only setting on.</summary>
    internal static bool AllowsHttp(Uri address, IConfiguration configuration) =>
        configuration.GetValue(SourceSecrets.AllowHttpOnLoopbackSetting, false)
        && (address.IsLoopback || (IPAddress.TryParse(address.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
