using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace CrisisDesk.TestSupport;

/// <summary>
/// Debian's nginx (<c>/usr/sbin/nginx</c>, which test.sh installs) serving a real site file of the repository
/// (<c>deploy/nginx/crisisdesk.conf</c>) on free loopback ports, as the current user, from a temporary directory of its
/// own: a generated <c>nginx.conf</c> with the prefix, pid, error and access logs and temporary paths in that directory,
/// which includes the site with only its upstream servers, listen ports and certificate paths substituted (a
/// self-signed certificate for 127.0.0.1 made here). Each substitution must find what it replaces, so a changed site
/// file fails here rather than being tested half.
/// </summary>
public sealed partial class NginxServer : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/nginx";

    private readonly Process _process;
    private readonly string _directory;

    private NginxServer(Process process, string directory, int httpsPort, string site)
    {
        _process = process;
        _directory = directory;
        BaseAddress = new Uri($"https://127.0.0.1:{httpsPort}/");
        Site = site;
    }

    /// <summary>The site's TLS address (https://127.0.0.1:PORT/), with a certificate no browser trusts.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The site file as nginx runs it, after the substitutions.</summary>
    public string Site { get; }

    /// <summary>nginx's error log so far (for a failure's message).</summary>
    public string ErrorLog => ReadShared(Path.Combine(_directory, "error.log"));

    /// <summary>
    /// Starts nginx on <paramref name="siteFile"/>, its <c>upstream NAME { server …; }</c> blocks pointed at
    /// <paramref name="upstreams"/> (by name, one address per server line, each line's parameters kept), and waits until
    /// the TLS port accepts connections.
    /// </summary>
    public static async Task<NginxServer> StartAsync(string siteFile, IReadOnlyDictionary<string, IReadOnlyList<Uri>> upstreams)
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"nginx is not installed at {Executable}: run ./test.sh, which installs it (apt-get install nginx-light).");
        var directory = Directory.CreateTempSubdirectory("crisisdesk-nginx-").FullName;
        var (certificate, key) = WriteSelfSignedCertificate(directory);
        var httpsPort = FreePort();
        var httpPort = FreePort();
        var site = Substitute(File.ReadAllText(siteFile), upstreams, httpsPort, httpPort, certificate, key);
        File.WriteAllText(Path.Combine(directory, "site.conf"), site);
        foreach (var temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
            Directory.CreateDirectory(Path.Combine(directory, temp));
        // As root (this machine's tests), the workers would switch to "nobody"; keep them the current user, as nginx run
        // by anyone else is anyway.
        var user = Environment.UserName == "root" ? "user root root;\n" : "";
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            {{user}}daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events { worker_connections 512; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/site.conf;
            }
            """);
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", directory + "/", "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "error.log") })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Executable}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NginxServer(process, directory, httpsPort, site);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, httpsPort);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                string said;
                lock (output)
                    said = output.ToString();
                await server.DisposeAsync();
                throw new InvalidOperationException($"nginx did not listen on {httpsPort}:\n{said}\n{server.ErrorLog}\n--- site as run ---\n{site}");
            }
        }
    }

    /// <summary>The site with its upstream servers, listen ports and certificate paths replaced; nothing else changes.</summary>
    public static string Substitute(string site, IReadOnlyDictionary<string, IReadOnlyList<Uri>> upstreams, int httpsPort, int httpPort, string certificate, string key)
    {
        foreach (var (name, addresses) in upstreams)
        {
            var block = new Regex(@"(upstream\s+" + Regex.Escape(name) + @"\s*\{)(?<body>[^}]*)\}");
            var match = block.Match(site);
            if (!match.Success)
                throw new InvalidOperationException($"The site has no upstream {name}.");
            var body = match.Groups["body"].Value;
            var servers = ServerLine().Matches(body);
            if (servers.Count != addresses.Count)
                throw new InvalidOperationException($"Upstream {name} has {servers.Count} servers; the test gives {addresses.Count}.");
            var k = 0;
            var replaced = ServerLine().Replace(body, m => $"{m.Groups["lead"].Value}{addresses[k].Host}:{addresses[k++].Port}{m.Groups["rest"].Value}");
            site = string.Concat(site.AsSpan(0, match.Groups["body"].Index), replaced, site.AsSpan(match.Groups["body"].Index + body.Length));
        }
        site = Replace(site, @"(?m)^(\s*listen\s+)443(\s)", $"${{1}}127.0.0.1:{httpsPort}$2", "listen 443");
        site = Replace(site, @"(?m)^(\s*listen\s+)\[::\]:443(\s)", $"${{1}}[::1]:{httpsPort}$2", "listen [::]:443");
        site = Replace(site, @"(?m)^(\s*listen\s+)80;", $"${{1}}127.0.0.1:{httpPort};", "listen 80");
        site = Replace(site, @"(?m)^(\s*listen\s+)\[::\]:80;", $"${{1}}[::1]:{httpPort};", "listen [::]:80");
        site = Replace(site, @"(?m)^(\s*ssl_certificate\s+)\S+;", $"${{1}}{certificate};", "ssl_certificate");
        site = Replace(site, @"(?m)^(\s*ssl_certificate_key\s+)\S+;", $"${{1}}{key};", "ssl_certificate_key");
        return site;
    }

    private static string Replace(string text, string pattern, string replacement, string what)
    {
        var regex = new Regex(pattern);
        if (!regex.IsMatch(text))
            throw new InvalidOperationException($"The site has no \"{what}\" to substitute.");
        return regex.Replace(text, replacement);
    }

    [GeneratedRegex(@"(?m)(?<lead>^\s*server\s+)(?<address>[^\s;]+)(?<rest>[^;]*;)")]
    private static partial Regex ServerLine();

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, written as PEM; returns the two paths.</summary>
    private static (string Certificate, string Key) WriteSelfSignedCertificate(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(directory, "fullchain.pem");
        var keyPath = Path.Combine(directory, "privkey.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the master stops its workers too (a SIGKILL would leave them listening).
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
