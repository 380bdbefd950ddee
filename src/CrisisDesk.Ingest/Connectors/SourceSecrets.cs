using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// Where a credential may be sent: one platform (<c>x</c>, <c>mastodon</c>) and its hosts, over https only (plain
/// http to a loopback address only when the test-only setting allows it).
/// </summary>
public sealed record SecretBinding(string Name, string Platform, IReadOnlyList<string> Hosts, bool AllowHttpOnLoopback = false)
{
    /// <summary>Why the credential may not be sent to <paramref name="target"/>, or null when it may.</summary>
    public string? Refusal(string platform, Uri target)
    {
        if (!string.Equals(platform, Platform, StringComparison.Ordinal))
            return $"The credential \"{Name}\" is for {Platform}, not {platform}.";
        if (Hosts.Count == 0)
            return $"The credential \"{Name}\" names no host it is for: set CrisisDesk:SecretHosts:{Name} (e.g. the Mastodon instance it was issued by).";
        if (!Hosts.Contains(target.IdnHost, StringComparer.OrdinalIgnoreCase))
            return $"The credential \"{Name}\" is only sent to {string.Join(", ", Hosts)}, not to {target.IdnHost}.";
        if (target.Scheme != Uri.UriSchemeHttps && !(AllowHttpOnLoopback && target.Scheme == Uri.UriSchemeHttp && IsLoopback(target)))
            return $"The credential \"{Name}\" is only sent over https.";
        return null;
    }

    /// <summary>Puts the credential on <paramref name="request"/> as a bearer token, after checking its address again.</summary>
    /// <exception cref="CredentialRefusedException">The request goes somewhere the credential is not for.</exception>
    public void Authorize(HttpRequestMessage request, string platform, string token)
    {
        if (Refusal(platform, request.RequestUri!) is { } refusal)
            throw new CredentialRefusedException(refusal);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    private static bool IsLoopback(Uri target) =>
        target.IsLoopback || (IPAddress.TryParse(target.IdnHost.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}

/// <summary>A credential was about to go somewhere it is not bound to; nothing was sent.</summary>
public sealed class CredentialRefusedException(string message) : InvalidOperationException(message);

/// <summary>A credential's value with where it may go.</summary>
public sealed record SourceSecret(string Value, SecretBinding Binding);

/// <summary>
/// The credentials sources refer to by name, from <c>CrisisDesk:Secrets:&lt;name&gt;</c>: either a plain value, or
/// <c>{ "Value", "Platform", "Hosts" }</c>. A plain value's platform is its name's first part (<c>X:…</c> is x,
/// <c>Mastodon:…</c> is mastodon); its hosts are the platform's own (X: api.x.com, api.twitter.com; Mastodon: none,
/// since a token belongs to the instance that issued it) unless <c>CrisisDesk:SecretHosts:&lt;name&gt;</c> (a
/// comma-separated list) names them. <c>CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback</c> (off by default,
/// for tests against local fake servers only) lets a credential go over plain http to a loopback address.
/// </summary>
public sealed class SourceSecrets(IConfiguration configuration)
{
    public const string AllowHttpOnLoopbackSetting = "CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback";

    private static readonly Dictionary<string, string[]> PlatformHosts = new(StringComparer.Ordinal)
    {
        ["x"] = ["api.x.com", "api.twitter.com"],
        ["mastodon"] = [],
        // A Bluesky app password belongs to its PDS, which differs per account: name it in SecretHosts.
        ["bluesky"] = [],
    };

    /// <summary>The secret and its binding, or null when no value is configured under that name.</summary>
    public SourceSecret? Find(string name)
    {
        var section = configuration.GetSection($"CrisisDesk:Secrets:{name}");
        // A section with children can still carry an empty value of its own (some providers set one): treat it as none.
        var value = string.IsNullOrEmpty(section.Value) ? section["Value"] : section.Value;
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var platform = (section["Platform"] ?? PlatformOfName(name))?.Trim().ToLowerInvariant() ?? "";
        var hosts = List(section.GetSection("Hosts"));
        if (hosts.Count == 0)
            hosts = List(configuration.GetSection($"CrisisDesk:SecretHosts:{name}"));
        if (hosts.Count == 0 && PlatformHosts.TryGetValue(platform, out var defaults))
            hosts = defaults;
        var allowHttp = configuration.GetValue(AllowHttpOnLoopbackSetting, false);
        return new SourceSecret(value, new SecretBinding(name, platform.Length == 0 ? "(no platform: set its Platform)" : platform, hosts, allowHttp));
    }

    public bool IsConfigured(string name) => Find(name) is not null;

    private static string? PlatformOfName(string name)
    {
        var first = name.Split(':')[0].ToLowerInvariant();
        return first is "x" or "twitter" ? "x" : first is "mastodon" or "bluesky" ? first : null;
    }

    private static IReadOnlyList<string> List(IConfigurationSection section) =>
        (!string.IsNullOrEmpty(section.Value) ? section.Value.Split(',') : section.GetChildren().Select(c => c.Value ?? ""))
            .Select(h => h.Trim()).Where(h => h.Length > 0).ToList();
}
