using System.Net;
using CrisisDesk.Ingest.Connectors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Connectors;

/// <summary>
/// The outbound address policy, on real connections: refused addresses are refused before any packet is sent (so these
/// tests send nothing to 10.x or 169.254.169.254), after DNS, and on every redirect.
/// </summary>
public sealed class OutboundNetworkTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.10.0.5")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fe80::1")]
    [InlineData("224.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Internal_addresses_are_refused_by_default(string address) =>
        Assert.False(OutboundNetwork.Default.IsAllowed("feed.example", IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2a00:1450:4009:81e::200e")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.True(OutboundNetwork.Default.IsAllowed("feed.example", IPAddress.Parse(address)));

    [Fact]
    public void The_allow_list_names_hosts_exactly_and_networks_by_cidr()
    {
        var network = new OutboundNetwork(["feeds.intranet", "10.20.0.0/16"]);
        Assert.True(network.IsAllowed("feeds.intranet", IPAddress.Parse("10.1.1.1")));
        Assert.True(network.IsAllowed("other.intranet", IPAddress.Parse("10.20.3.4")));
        Assert.False(network.IsAllowed("other.intranet", IPAddress.Parse("10.21.3.4")));
        Assert.False(network.IsAllowed("localhost", IPAddress.Loopback));
    }

    private static HttpClient Client(OutboundNetwork network) =>
        new(new RedirectHandler(network.CreateHandler())) { Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task Loopback_is_refused_by_default_with_the_same_message_for_an_open_and_a_closed_port()
    {
        await using var server = await FakeServer.StartAsync(app => app.MapGet("/", () => "internal text"));
        var open = server.Address;
        var closed = new Uri($"http://127.0.0.1:{FreePort()}/");

        var openError = await Assert.ThrowsAsync<HttpRequestException>(() => Client(OutboundNetwork.Default).GetStringAsync(open));
        var closedError = await Assert.ThrowsAsync<HttpRequestException>(() => Client(OutboundNetwork.Default).GetStringAsync(closed));

        Assert.IsType<OutboundAddressRefusedException>(openError.InnerException);
        Assert.Equal(openError.Message.Replace($":{open.Port}", ":PORT", StringComparison.Ordinal), closedError.Message.Replace($":{closed.Port}", ":PORT", StringComparison.Ordinal));
        Assert.DoesNotContain("internal text", openError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:{0}/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/")]
    public async Task A_name_resolving_to_loopback_and_internal_addresses_are_refused(string url)
    {
        await using var server = await FakeServer.StartAsync(app => app.MapGet("/", () => "internal text"));
        var target = new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, url, server.Address.Port));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client(OutboundNetwork.Default).GetStringAsync(target));
        Assert.IsType<OutboundAddressRefusedException>(error.InnerException);
    }

    [Theory]
    [InlineData("http://localhost:{0}/secret")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/")]
    public async Task A_redirect_from_an_allowed_host_to_an_internal_one_is_refused(string target)
    {
        var reached = 0;
        await using var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/feed", (HttpContext context) => Results.Redirect(string.Format(System.Globalization.CultureInfo.InvariantCulture, target, context.Connection.LocalPort)));
            app.MapGet("/secret", () =>
            {
                Interlocked.Increment(ref reached);
                return "internal text";
            });
        });
        // 127.0.0.1 is allowed by name (as the tests' fake servers are); "localhost" is another name and is checked on its own.
        var network = new OutboundNetwork(["127.0.0.1"]);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client(network).GetStringAsync(new Uri(server.Address, "feed")));
        Assert.IsType<OutboundAddressRefusedException>(error.InnerException);
        Assert.Equal(0, reached);
    }

    [Fact]
    public async Task A_redirect_to_a_file_is_an_error_and_redirects_are_limited()
    {
        await using var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/file", () => Results.Redirect("file:///etc/passwd"));
            app.MapGet("/loop", () => Results.Redirect("/loop"));
            app.MapGet("/hop", () => Results.Redirect("/ok"));
            app.MapGet("/ok", () => "followed");
        });
        var client = Client(new OutboundNetwork(["127.0.0.1"]));

        var file = await Assert.ThrowsAsync<UnsupportedRedirectException>(() => client.GetStringAsync(new Uri(server.Address, "file")));
        Assert.Contains("redirected to a file: address", file.Message, StringComparison.Ordinal);
        Assert.Equal("file", file.Target.Scheme);
        var loop = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri(server.Address, "loop")));
        Assert.Contains($"more than {OutboundNetwork.MaxRedirects} redirects", loop.Message, StringComparison.Ordinal);
        Assert.Equal("followed", await client.GetStringAsync(new Uri(server.Address, "hop")));
    }

    [Fact]
    public async Task A_credential_is_not_carried_across_a_redirect_to_another_origin()
    {
        string? seen = null;
        await using var other = await FakeServer.StartAsync(app => app.MapGet("/", (HttpContext c) =>
        {
            seen = c.Request.Headers.Authorization.ToString();
            return "ok";
        }));
        // Another port is another origin.
        await using var server = await FakeServer.StartAsync(app => app.MapGet("/", () => Results.Redirect(other.Address.ToString())));
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Address);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret");

        using var response = await Client(new OutboundNetwork(["127.0.0.1"])).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", seen);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
