using CrisisDesk.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrisisDesk.IntegrationTests.Data;

/// <summary>
/// `audit verify` run beside a server on the embedded database must reach the cluster that server started, not start
/// (and so stop) it: <see cref="EmbeddedPostgres.ConnectionStringOfRunningAsync"/> finds it from the data directory.
/// </summary>
public sealed class RunningEmbeddedClusterTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"crisisdesk-test-probe-{Guid.NewGuid():N}");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_cluster_a_server_runs_is_found_from_its_data_directory_and_a_stopped_or_missing_one_is_not()
    {
        Assert.Null(await EmbeddedPostgres.ConnectionStringOfRunningAsync(_directory));

        var server = await EmbeddedPostgres.StartAsync(_directory, logger: NullLogger.Instance);
        string? found;
        try
        {
            found = await EmbeddedPostgres.ConnectionStringOfRunningAsync(_directory);
            Assert.NotNull(found);
            await using var connection = new NpgsqlConnection(found);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal("crisisdesk", await command.ExecuteScalarAsync());
            Assert.Equal(server.Port, new NpgsqlConnectionStringBuilder(found).Port);
        }
        finally
        {
            await server.StopAsync();
        }

        Assert.Null(await EmbeddedPostgres.ConnectionStringOfRunningAsync(_directory));
    }
}
