using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CrisisDesk.TestSupport;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// deploy/ tried on this machine: the nginx site passes <c>nginx -t</c> (with a throwaway certificate and loopback
/// ports), the systemd units pass <c>systemd-analyze verify</c>, and redis-server runs with redis.conf and answers
/// with the password from its secret include. Debian's nginx-light and redis-server (test.sh installs them).
/// </summary>
public sealed class DeployFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crisisdesk-deploy-").FullName;

    private static string Deploy(string path) => Path.Combine(Repository.Root, "deploy", path);

    [Fact]
    public async Task The_nginx_site_passes_nginx_t()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "logs"));
        var (code, output) = await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=crisisdesk.example.gov",
            "-keyout", Path.Combine(_directory, "privkey.pem"), "-out", Path.Combine(_directory, "fullchain.pem"));
        Assert.True(code == 0, output);
        var site = (await File.ReadAllTextAsync(Deploy("nginx/crisisdesk.conf")))
            .Replace("/etc/ssl/crisisdesk", _directory, StringComparison.Ordinal)
            .Replace("listen 80;", "listen 127.0.0.1:18080;", StringComparison.Ordinal).Replace("listen [::]:80;", "", StringComparison.Ordinal)
            .Replace("listen 443 ssl http2;", "listen 127.0.0.1:18443 ssl http2;", StringComparison.Ordinal).Replace("listen [::]:443 ssl http2;", "", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_directory, "site.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(_directory, "nginx.conf"), $$"""
            pid {{_directory}}/nginx.pid;
            error_log {{_directory}}/logs/error.log;
            events {}
            http {
              access_log off;
              client_body_temp_path {{_directory}};
              proxy_temp_path {{_directory}};
              include {{_directory}}/site.conf;
            }
            """);

        (code, output) = await RunAsync("/usr/sbin/nginx", "-t", "-c", Path.Combine(_directory, "nginx.conf"), "-p", _directory);
        Assert.True(code == 0, output);
        Assert.Contains("test is successful", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_systemd_units_pass_systemd_analyze_verify_and_are_hardened()
    {
        foreach (var (template, instance) in new[] { ("crisisdesk-web@.service", "crisisdesk-web@5181.service"), ("crisisdesk-ingest@.service", "crisisdesk-ingest@5191.service") })
        {
            var text = await File.ReadAllTextAsync(Deploy($"systemd/{template}"));
            foreach (var setting in new[] { "User=crisisdesk", "NoNewPrivileges=yes", "ProtectSystem=strict", "Restart=always" })
                Assert.Contains(setting, text, StringComparison.Ordinal);
            File.Copy(Deploy($"systemd/{template}"), Path.Combine(_directory, instance));
        }
        var (code, output) = await RunAsync("systemd-analyze", "verify", Path.Combine(_directory, "crisisdesk-web@5181.service"), Path.Combine(_directory, "crisisdesk-ingest@5191.service"));
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Redis_runs_with_the_config_and_its_secret_include()
    {
        var port = System.Net.IPEndPoint.Parse("127.0.0.1:0");
        using (var probe = new TcpListener(port))
        {
            probe.Start();
            port = (System.Net.IPEndPoint)probe.LocalEndpoint;
        }
        var secret = Path.Combine(_directory, "crisisdesk-secret.conf");
        await File.WriteAllTextAsync(secret, "requirepass deploy-test-password\n");
        var config = (await File.ReadAllTextAsync(Deploy("redis/redis.conf")))
            .Replace("/etc/redis/crisisdesk-secret.conf", secret, StringComparison.Ordinal)
            .Replace("port 6379", $"port {port.Port}", StringComparison.Ordinal)
            .Replace("bind 127.0.0.1 -::1", "bind 127.0.0.1", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(_directory, "redis.conf"), config + $"\ndir {_directory}\n");
        using var redis = Process.Start(new ProcessStartInfo("redis-server", Path.Combine(_directory, "redis.conf")) { RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            var answer = "";
            for (var attempt = 0; attempt < 50 && !answer.Contains("+PONG", StringComparison.Ordinal); attempt++)
            {
                await Task.Delay(100);
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(port);
                    var stream = client.GetStream();
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\nAUTH deploy-test-password\r\nPING\r\n"));
                    var buffer = new byte[256];
                    await Task.Delay(200);
                    answer = Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer));
                }
                catch (SocketException)
                {
                    // Not listening yet.
                }
            }
            // Without the password it is refused; with it, it answers.
            Assert.Contains("-NOAUTH", answer, StringComparison.Ordinal);
            Assert.Contains("+OK", answer, StringComparison.Ordinal);
            Assert.Contains("+PONG", answer, StringComparison.Ordinal);
        }
        finally
        {
            redis.Kill();
            await redis.WaitForExitAsync();
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}
