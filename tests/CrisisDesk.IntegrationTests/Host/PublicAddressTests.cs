using System.Net;
using System.Text.RegularExpressions;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>With CrisisDesk:PublicBaseUrl set, every absolute link starts there (the feed's, the receipts').</summary>
public sealed class PublicBaseUrlTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    [Fact]
    public async Task The_cap_feed_links_use_the_public_base_url()
    {
        var feed = await app.NewClient().GetStringAsync("/cap/feed.atom");

        Assert.Contains("https://alerts.riverside.example.gov/cap/feed.atom", feed, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", feed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sign_in_cookie_is_secure_when_the_public_base_url_is_https()
    {
        var response = await CrisisDeskFactory.SignInAsync(app.NewClient(), CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

        Assert.Contains("secure", AuthCookie(response), StringComparison.OrdinalIgnoreCase);
    }

    internal static string AuthCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("crisisdesk.auth=", StringComparison.Ordinal));
}

/// <summary>The host behind a reverse proxy at 10.1.2.3; the test server takes the peer address from X-Test-Peer.</summary>
public sealed class ProxiedFactory : CrisisDeskFactory
{
    public const string Proxy = "10.1.2.3";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["CrisisDesk:Proxy:KnownProxies:0"] = Proxy,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, PeerAddressFilter>());
    }

    /// <summary>Stands in for the TCP peer, which the in-memory test server does not have.</summary>
    private sealed class PeerAddressFilter : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers["X-Test-Peer"].ToString(), out var peer))
                    context.Connection.RemoteIpAddress = peer;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

/// <summary>X-Forwarded-* is believed from the configured proxy only.</summary>
public sealed partial class ForwardedHeadersTests(ProxiedFactory app) : IClassFixture<ProxiedFactory>
{
    private HttpClient ClientFrom(string peer)
    {
        // No cookie container: a Secure cookie set over forwarded https would not come back over the test's http.
        var client = app.CreateDefaultClient();
        client.DefaultRequestHeaders.Add("X-Test-Peer", peer);
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "alerts.example.gov");
        return client;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client)
    {
        var login = await client.GetAsync("/login");
        var token = AntiforgeryField().Match(await login.Content.ReadAsStringAsync()).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token,
                ["userName"] = CrisisDeskFactory.AdminUser,
                ["password"] = CrisisDeskFactory.AdminPassword,
            }),
        };
        post.Headers.Add("Cookie", string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        var response = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response;
    }

    [Fact]
    public async Task Behind_the_trusted_proxy_over_https_the_cookie_is_secure_and_links_use_the_forwarded_host()
    {
        var client = ClientFrom(ProxiedFactory.Proxy);

        var signedIn = await SignInAsync(client);
        var feed = await client.GetStringAsync("/cap/feed.atom");

        Assert.Contains("secure", PublicBaseUrlTests.AuthCookie(signedIn), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("https://alerts.example.gov/cap/feed.atom", feed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task From_an_untrusted_address_the_forwarded_headers_are_ignored()
    {
        var client = ClientFrom("10.9.9.9");

        var signedIn = await SignInAsync(client);
        var feed = await client.GetStringAsync("/cap/feed.atom");

        Assert.DoesNotContain("secure", PublicBaseUrlTests.AuthCookie(signedIn), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("alerts.example.gov", feed, StringComparison.Ordinal);
        Assert.Contains("http://localhost/cap/feed.atom", feed, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

/// <summary>Behind the trusted proxy with a public address on a port of its own (https://alerts.example.gov:8443/).</summary>
public sealed class ProxiedOnAPortFactory : CrisisDeskFactory
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["CrisisDesk:Proxy:KnownProxies:0"] = ProxiedFactory.Proxy,
        ["CrisisDesk:PublicBaseUrl"] = "https://alerts.example.gov:8443/",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, PeerFromHeader>());
    }

    private sealed class PeerFromHeader : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(ProxiedFactory.Proxy);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

public sealed class ForwardedHostWithAPortTests(ProxiedOnAPortFactory app) : IClassFixture<ProxiedOnAPortFactory>
{
    [Fact]
    public async Task The_forwarded_host_and_port_of_the_public_address_are_believed_and_redirects_keep_the_port()
    {
        var client = app.CreateDefaultClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "alerts.example.gov:8443");

        var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("https://alerts.example.gov:8443/login", response.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
    }
}
