using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Startup;

/// <summary>Where the public reaches this site and which reverse proxies may say so (<c>CrisisDesk</c>).</summary>
public sealed class PublicAddressOptions
{
    public const string Section = "CrisisDesk";

    /// <summary>
    /// The site's public root (<c>CrisisDesk:PublicBaseUrl</c>, e.g. https://alerts.example.gov/): every absolute link
    /// (the CAP feed, delivery receipts, posts, webhooks) starts here. When https, the sign-in cookie is always Secure.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    public ProxyOptions Proxy { get; set; } = new();

    public sealed class ProxyOptions
    {
        /// <summary>Addresses of reverse proxies whose X-Forwarded-For/-Proto/-Host are believed.</summary>
        public List<string> KnownProxies { get; set; } = [];

        /// <summary>Networks (CIDR, e.g. 10.0.0.0/8) of such proxies.</summary>
        public List<string> KnownNetworks { get; set; } = [];
    }

    /// <summary>Why the settings cannot be used; empty when they can.</summary>
    public IEnumerable<string> Problems()
    {
        if (PublicBaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https") || url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0))
            yield return "CrisisDesk:PublicBaseUrl must be an absolute http or https URL without a query, fragment or user name, e.g. https://alerts.example.gov/.";
        foreach (var proxy in Proxy.KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return $"CrisisDesk:Proxy:KnownProxies has \"{proxy}\", which is not an IP address.";
        foreach (var network in Proxy.KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return $"CrisisDesk:Proxy:KnownNetworks has \"{network}\", which is not a network in CIDR form (e.g. 10.0.0.0/8).";
    }

    /// <summary>The public root with a trailing slash, so relative links resolve under its path.</summary>
    public Uri? BaseUrl => PublicBaseUrl is { } url ? new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/") : null;
}

/// <summary>The one root every absolute link is built from.</summary>
public sealed class PublicUrl(IOptions<PublicAddressOptions> options, IServiceProvider services)
{
    /// <summary>The configured public root; else the address this server listens on (a wildcard host read as localhost).</summary>
    public Uri Base => options.Value.BaseUrl ?? Listening() ?? new Uri("http://localhost/");

    /// <summary>For a request: the configured root, else the origin the request came to (after trusted forwarded headers).</summary>
    public Uri For(HttpRequest request) =>
        options.Value.BaseUrl ?? new Uri($"{request.Scheme}://{request.Host}{request.PathBase}/");

    private Uri? Listening()
    {
        // A host without a web server (a test host of the dispatcher alone) has no address to offer.
        var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null)
            return null;
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
            uri.Host = "localhost";
        uri.Path = "/";
        return uri.Uri;
    }
}

public static class PublicAddressExtensions
{
    public static IServiceCollection AddPublicAddress(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(PublicUrl)))
            return services;
        services.AddOptions<PublicAddressOptions>().BindConfiguration(PublicAddressOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PublicAddressOptions>, PublicAddressValidator>();
        services.AddSingleton<PublicUrl>();
        // Only the configured proxies are believed: the framework's default trust of loopback is dropped, so a
        // process on this machine cannot claim to be https or another host unless configured as the proxy.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<PublicAddressOptions>>((forwarded, address) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in address.Value.Proxy.KnownProxies)
                if (IPAddress.TryParse(proxy, out var ip))
                    forwarded.KnownProxies.Add(ip);
            foreach (var network in address.Value.Proxy.KnownNetworks)
                if (System.Net.IPNetwork.TryParse(network, out var parsed))
                    forwarded.KnownIPNetworks.Add(parsed);
            // Host names only: ASP.NET matches X-Forwarded-Host's host without its port against these, so an entry with
            // a port (https://alerts.example.gov:8443/) never matched and the forwarded host was dropped.
            if (address.Value.BaseUrl is { } url)
                forwarded.AllowedHosts = [url.HostNameType == UriHostNameType.IPv6 ? url.Host : url.IdnHost];
        });
        return services;
    }

    /// <summary>Names each problem, so the start-up message says what to fix.</summary>
    private sealed class PublicAddressValidator : IValidateOptions<PublicAddressOptions>
    {
        public ValidateOptionsResult Validate(string? name, PublicAddressOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    /// <summary>Believes X-Forwarded-* only from the configured proxies; with none configured, does nothing.</summary>
    public static IApplicationBuilder UseTrustedForwardedHeaders(this IApplicationBuilder app)
    {
        var address = app.ApplicationServices.GetRequiredService<IOptions<PublicAddressOptions>>().Value;
        return address.Proxy.KnownProxies.Count + address.Proxy.KnownNetworks.Count > 0 ? app.UseForwardedHeaders() : app;
    }
}
