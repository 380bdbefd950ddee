using System.Security.Cryptography;
using CrisisDesk.Data;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Startup;

/// <summary>The first account, created on first run: <c>CrisisDesk:Admin:UserName</c> and <c>:Password</c>.</summary>
public sealed class InitialAdminOptions
{
    public const string Section = "CrisisDesk:Admin";

    public string UserName { get; set; } = "admin";

    /// <summary>When empty, a password is generated and printed once.</summary>
    public string? Password { get; set; }
}

/// <summary>
/// Runs before anything else starts: brings the database up (embedded or configured), applies migrations, and on
/// first run creates the admin account and opens the drill incident. Then says where to go.
/// </summary>
public sealed class DatabaseStartup(
    IServiceProvider services,
    IOptions<InitialAdminOptions> admin,
    IOptions<DrillOptions> drill,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    private string? _generatedPassword;
    private string? _adminName;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = services.GetRequiredService<DatabaseEndpoint>();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);

        var accounts = services.GetRequiredService<UserAccounts>();
        if (!await accounts.AnyUsersAsync(cancellationToken))
        {
            var password = admin.Value.Password;
            if (string.IsNullOrEmpty(password))
                password = _generatedPassword = Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', 'x').Replace('/', 'y');
            _adminName = admin.Value.UserName;
            await accounts.CreateInitialAdminAsync(admin.Value.UserName, password, cancellationToken);
        }

        if (drill.Value.OpenOnFirstRun)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<CrisisDeskDbContext>>().CreateDbContextAsync(cancellationToken);
            if (!await db.Incidents.AnyAsync(cancellationToken))
            {
                // The ingest host starts after this service and picks up the drill's source with every other.
                var incidentId = await services.GetRequiredService<IncidentCommands>().CreateDrillAsync("system", cancellationToken);
                logger.LogInformation("Opened drill incident {IncidentId}.", incidentId);
            }
        }

        lifetime.ApplicationStarted.Register(() => SayWhereToGo(endpoint));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void SayWhereToGo(DatabaseEndpoint endpoint)
    {
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "(no address)";
        var lines = new List<string> { "", $"CrisisDesk is running: open {url.Replace("0.0.0.0", "localhost", StringComparison.Ordinal).Replace("[::]", "localhost", StringComparison.Ordinal)}" };
        if (_generatedPassword is not null)
            lines.Add($"Sign in as \"{_adminName}\" with the password {_generatedPassword}  (shown this once: keep it, or set CrisisDesk:Admin:Password before the first run)");
        else if (_adminName is not null)
            lines.Add($"Sign in as \"{_adminName}\" with the configured CrisisDesk:Admin:Password.");
        if (endpoint.IsEmbedded)
            lines.Add($"Database: private PostgreSQL in {endpoint.EmbeddedDataDirectory} (set ConnectionStrings:CrisisDesk to use your own server)");
        lines.Add("");
        Console.Out.WriteLine(string.Join(Environment.NewLine, lines));
        Console.Out.Flush();
    }
}
