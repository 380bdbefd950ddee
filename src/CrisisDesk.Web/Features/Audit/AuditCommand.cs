using CrisisDesk.Data;
using CrisisDesk.Data.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrisisDesk.Web.Features.Audit;

/// <summary>
/// <c>audit verify</c>: proves the event log was not edited, from the command line, against the same database the
/// server uses (its configuration: <c>ConnectionStrings:CrisisDesk</c>, or the embedded cluster in
/// <c>CrisisDesk:DataDirectory</c>). Exit 0 when the chain holds, 1 when it does not, 2 when it cannot be checked.
/// </summary>
public static class AuditCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "verify")
        {
            await Console.Error.WriteLineAsync("usage: audit verify [--ConnectionStrings:CrisisDesk=...] [--CrisisDesk:DataDirectory=...]");
            return 2;
        }
        var configuration = HostConfiguration(args[1..]);
        var options = new CrisisDeskDataOptions();
        configuration.GetSection(CrisisDeskDataOptions.Section).Bind(options);
        try
        {
            await using var connection = await ConnectAsync(configuration, options);
            await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
            if (!await HasEventLogAsync(dataSource))
            {
                await Console.Error.WriteLineAsync("This database has no event log yet: start the server once to create it.");
                return 2;
            }
            var result = await AuditVerifier.VerifyAndRecordAsync(dataSource, $"cli:{Environment.UserName}", "cli");
            await (result.Holds ? Console.Out : Console.Error).WriteLineAsync(AuditVerifier.Describe(result));
            return result.Holds ? 0 : 1;
        }
        catch (Exception e) when (e is NpgsqlException or EmbeddedPostgresException or IOException)
        {
            await Console.Error.WriteLineAsync($"The event log cannot be checked: {e.Message}");
            return 2;
        }
    }

    /// <summary>The configuration the web host would read: appsettings, its environment's file, environment variables, arguments.</summary>
    private static IConfiguration HostConfiguration(string[] args)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>
    /// The configured server, or the embedded cluster: the running one when the server has it up (its port is in
    /// <c>postmaster.pid</c>; starting it afresh would stop the server's), otherwise started for this check.
    /// </summary>
    private static async Task<DatabaseConnection> ConnectAsync(IConfiguration configuration, CrisisDeskDataOptions options)
    {
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString("CrisisDesk"))
            && await RunningEmbeddedAsync(options) is { } running)
            return new DatabaseConnection(running, null);
        var endpoint = await DatabaseEndpoint.ResolveAsync(configuration, options, NullLogger.Instance);
        return new DatabaseConnection(endpoint.ConnectionString, endpoint);
    }

    private static Task<string?> RunningEmbeddedAsync(CrisisDeskDataOptions options) =>
        EmbeddedPostgres.ConnectionStringOfRunningAsync(string.IsNullOrWhiteSpace(options.DataDirectory) ? CrisisDeskDataOptions.DefaultDataDirectory() : options.DataDirectory);

    private static async Task<bool> HasEventLogAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT to_regclass('events') IS NOT NULL AND to_regclass('event_chain_head') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private sealed class DatabaseConnection(string connectionString, DatabaseEndpoint? endpoint) : IAsyncDisposable
    {
        public string ConnectionString { get; } = connectionString;

        public async ValueTask DisposeAsync()
        {
            if (endpoint is not null)
                await endpoint.DisposeAsync();
        }
    }
}
