using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>A connection CrisisDesk refused to make: the address is internal and not on the allow-list. Said before any packet is sent.</summary>
public sealed class OutboundAddressRefusedException(string host)
    : IOException($"refused: {host} is a loopback, private, link-local, multicast or metadata address, which CrisisDesk does not connect to; " +
        "allow an on-premises host with CrisisDesk:Network:AllowedHosts")
{
    public string Host { get; } = host;
}

/// <summary>
/// Which addresses CrisisDesk's outbound requests (feeds, the source test, the streaming connectors, publishing
/// channels) may reach. By default every public address; never loopback, private (RFC 1918, ULA fc00::/7, CGNAT
/// 100.64/10), link-local (with the cloud metadata address 169.254.169.254), multicast, unspecified or reserved ones,
/// unless <c>CrisisDesk:Network:AllowedHosts</c> names the host (exactly as written in the URL) or a network (CIDR)
/// holding the address. The check is made on the address actually connected to, after DNS, for every connection
/// (so every redirect, and a name that resolves elsewhere the second time, is checked too).
/// </summary>
public sealed class OutboundNetwork
{
    public const string Section = "CrisisDesk:Network";

    /// <summary>The most redirects one request follows.</summary>
    public const int MaxRedirects = 5;

    private static readonly IPNetwork[] Refused =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
        // NAT64 and 6to4 carry IPv4 addresses inside: refused whole rather than unpacked.
        IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2002::/16"),
    ];

    private readonly HashSet<string> _allowedHosts;
    private readonly IPNetwork[] _allowedNetworks;

    public OutboundNetwork(IEnumerable<string> allowed)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var networks = new List<IPNetwork>();
        foreach (var entry in allowed.Select(a => a.Trim()).Where(a => a.Length > 0))
        {
            if (entry.Contains('/', StringComparison.Ordinal))
                networks.Add(IPNetwork.TryParse(entry, out var network) ? network : throw new ArgumentException($"{Section}:AllowedHosts: \"{entry}\" is not a network (CIDR)."));
            else
                hosts.Add(entry.Trim('[', ']'));
        }
        _allowedHosts = hosts;
        _allowedNetworks = [.. networks];
    }

    /// <summary>Nothing allowed beyond public addresses: the production default.</summary>
    public static OutboundNetwork Default { get; } = new([]);

    /// <summary>From <c>CrisisDesk:Network:AllowedHosts</c>: a list (or one comma-separated text) of host names, IP addresses and CIDR networks.</summary>
    public static OutboundNetwork FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection($"{Section}:AllowedHosts");
        var entries = !string.IsNullOrEmpty(section.Value) ? section.Value.Split(',') : section.GetChildren().Select(c => c.Value ?? "");
        return new OutboundNetwork(entries);
    }

    public bool IsAllowedHost(string host) => _allowedHosts.Contains(host.Trim('[', ']'));

    /// <summary>Whether a connection to <paramref name="address"/>, reached through <paramref name="host"/>, may be made.</summary>
    public bool IsAllowed(string host, IPAddress address)
    {
        if (IsAllowedHost(host))
            return true;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (_allowedNetworks.Any(n => n.Contains(address)))
            return true;
        return !Refused.Any(n => n.Contains(address));
    }

    /// <summary>
    /// A handler whose every connection goes through this policy, after DNS, and which never follows redirects itself
    /// (<see cref="RedirectHandler"/> follows them, each one through this handler's checks again).
    /// </summary>
    public SocketsHttpHandler CreateHandler(DecompressionMethods decompression = DecompressionMethods.None) => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = decompression,
        // No proxy from the environment: a proxy would make the connected address the proxy's, not the target's.
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };

    /// <summary>A message invoker for WebSockets (<see cref="System.Net.WebSockets.ClientWebSocket"/>) under the same policy.</summary>
    public HttpMessageInvoker CreateInvoker() => new(CreateHandler(), disposeHandler: true);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        // Only the addresses that pass are tried: a name with one public and one internal address reaches the public one.
        var permitted = addresses.Where(a => IsAllowed(host, a)).ToArray();
        if (permitted.Length == 0)
            throw new OutboundAddressRefusedException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(permitted, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// Follows redirects by hand, at most <see cref="OutboundNetwork.MaxRedirects"/>, only to http and https (a
/// <c>file:</c> or other target is an error, never a crash), each hop connecting through the guarded handler below.
/// Credentials and cookies are dropped when a redirect leaves the original scheme, host and port, so a secret bound to
/// one host is never sent to another. Requests with a body are not redirected.
/// </summary>
public sealed class RedirectHandler : DelegatingHandler
{
    public RedirectHandler()
    {
    }

    public RedirectHandler(HttpMessageHandler inner) : base(inner)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var origin = request.RequestUri!;
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        for (var hops = 0; IsRedirect(response.StatusCode) && response.Headers.Location is { } location && request.Content is null; hops++)
        {
            var target = location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
            response.Dispose();
            if (hops >= OutboundNetwork.MaxRedirects)
                throw new HttpRequestException($"more than {OutboundNetwork.MaxRedirects} redirects");
            if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
                throw new UnsupportedRedirectException(target);
            var next = new HttpRequestMessage(HttpMethod.Get, target) { Version = request.Version, VersionPolicy = request.VersionPolicy };
            var sameOrigin = Uri.Compare(origin, target, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            foreach (var header in request.Headers)
            {
                if (sameOrigin || (header.Key is not ("Authorization" or "Cookie")))
                    next.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            request = next;
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}

/// <summary>A redirect to anything but http(s) (file://, gopher://…), which is never followed.</summary>
public sealed class UnsupportedRedirectException(Uri target)
    : HttpRequestException($"redirected to a {target.Scheme}: address, which is not followed (only http and https are)")
{
    public Uri Target { get; } = target;
}
