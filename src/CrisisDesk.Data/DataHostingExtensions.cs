using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Embedded;
using CrisisDesk.Data.Posts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Data;

/// <summary>Where CrisisDesk keeps its data when it runs its own PostgreSQL.</summary>
public sealed class CrisisDeskDataOptions
{
    public const string Section = "CrisisDesk";

    /// <summary>Directory of the embedded cluster and its credentials. Default: per user (see <see cref="DefaultDataDirectory"/>).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The PostgreSQL server's bin directory; found automatically when empty.</summary>
    public string? PostgresBinDirectory { get; set; }

    /// <summary>
    /// ~/.local/share/crisisdesk (or $XDG_DATA_HOME/crisisdesk) for a normal user. As root, /var/lib/crisisdesk:
    /// the cluster then runs as the postgres user, which cannot enter root's home.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        if (Environment.UserName == "root")
            return "/var/lib/crisisdesk";
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg;
        return Path.Combine(root, "crisisdesk");
    }
}

/// <summary>
/// The database CrisisDesk talks to: the configured <c>ConnectionStrings:CrisisDesk</c>, or else a private cluster it
/// starts itself (and stops when the host is disposed).
/// </summary>
public sealed class DatabaseEndpoint : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;

    private DatabaseEndpoint(string connectionString, EmbeddedPostgres? embedded)
    {
        ConnectionString = connectionString;
        _embedded = embedded;
    }

    public string ConnectionString { get; }

    /// <summary>True when CrisisDesk started the server itself.</summary>
    public bool IsEmbedded => _embedded is not null;

    public string? EmbeddedDataDirectory => _embedded?.ClusterDirectory;

    public static async Task<DatabaseEndpoint> ResolveAsync(IConfiguration configuration, CrisisDeskDataOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        var configured = configuration.GetConnectionString("CrisisDesk");
        if (!string.IsNullOrWhiteSpace(configured))
            return new DatabaseEndpoint(configured, null);
        var directory = string.IsNullOrWhiteSpace(options.DataDirectory) ? CrisisDeskDataOptions.DefaultDataDirectory() : options.DataDirectory;
        logger.LogInformation("No connection string (ConnectionStrings:CrisisDesk) is configured: starting a private PostgreSQL in {Directory}.", directory);
        var embedded = await EmbeddedPostgres.StartAsync(directory, options.PostgresBinDirectory, logger, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new DatabaseEndpoint(embedded.ConnectionString, embedded);
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null)
            await _embedded.DisposeAsync().ConfigureAwait(false);
    }
}

public static class DataHostingExtensions
{
    /// <summary>Registers the database: endpoint (configured or embedded), Npgsql data source, the domain's DbContext factory, migrator and post writer.</summary>
    public static IHostApplicationBuilder AddCrisisDeskData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CrisisDeskDataOptions>().BindConfiguration(CrisisDeskDataOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.DataDirectory) || Path.IsPathFullyQualified(o.DataDirectory),
                "CrisisDesk:DataDirectory must be an absolute path (the embedded cluster's directory).")
            .Validate(o => string.IsNullOrEmpty(o.PostgresBinDirectory) || Path.IsPathFullyQualified(o.PostgresBinDirectory),
                "CrisisDesk:PostgresBinDirectory must be an absolute path (PostgreSQL's bin directory, e.g. /usr/lib/postgresql/15/bin).")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CrisisDeskDataOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("CrisisDesk.Database");
            // Resolved once, while the host starts (DatabaseStartup asks first), before anything serves requests.
            return DatabaseEndpoint.ResolveAsync(sp.GetRequiredService<IConfiguration>(), options, logger).GetAwaiter().GetResult();
        });
        builder.Services.AddSingleton(sp =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(sp.GetRequiredService<DatabaseEndpoint>().ConnectionString);
            dataSource.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return dataSource.Build();
        });
        // EF Core for the domain, Npgsql for posts at volume (see CrisisDeskDbContext): both on the one data source.
        builder.Services.AddPooledDbContextFactory<CrisisDeskDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton<PostWriter>();
        return builder;
    }
}
