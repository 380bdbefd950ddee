using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Account;
using Npgsql;

namespace CrisisDesk.Web.Features.Health;

/// <summary>
/// <c>GET /healthz</c>: anonymous, so a load balancer or monitor can ask, and it says only up or down (the status code
/// and <c>{"status":"healthy"}</c>). <c>GET /healthz/detail</c> (signed in, Viewer at least) adds the database's state
/// and each running source's state and counters: source names, ids and connection errors (which can name internal
/// hosts) are for signed-in users only. Neither carries post content or credentials.
/// </summary>
public static class HealthEndpoint
{
    public sealed record SourceHealth(int Id, int IncidentId, string Kind, string Name, string State, string? Detail, DateTimeOffset? Until,
        long PostsStored, long Quarantined, DateTimeOffset? LastItemAt, long EditsStored, long DeletionsApplied, long DeletionsUnmatched);

    public sealed record DatabaseHealth(bool Reachable, string? Error);

    public sealed record Health(string Status, DatabaseHealth Database, IReadOnlyList<SourceHealth> Sources);

    /// <summary>What anonymous callers get: <c>{"status":"healthy"}</c> or <c>unhealthy</c>.</summary>
    public sealed record HealthStatus(string Status);

    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", async (NpgsqlDataSource dataSource, CancellationToken ct) =>
        {
            var database = await CheckDatabaseAsync(dataSource, ct);
            return Results.Json(new HealthStatus(StatusText(database)), statusCode: StatusCode(database));
        }).AllowAnonymous();

        endpoints.MapGet("/healthz/detail", async (NpgsqlDataSource dataSource, SourceMonitor monitor, CancellationToken ct) =>
        {
            var database = await CheckDatabaseAsync(dataSource, ct);
            var sources = monitor.Snapshot().Select(s => new SourceHealth(s.SourceId, s.IncidentId, s.Kind, s.Name, s.State.ToString(), s.Detail, s.Until,
                s.PostsStored, s.Quarantined, s.LastItemAt, s.EditsStored, s.DeletionsApplied, s.DeletionsUnmatched)).ToList();
            return Results.Json(new Health(StatusText(database), database, sources), statusCode: StatusCode(database));
        }).RequireAuthorization(Policies.Viewer);
        return endpoints;
    }

    private static string StatusText(DatabaseHealth database) => database.Reachable ? "healthy" : "unhealthy";

    private static int StatusCode(DatabaseHealth database) =>
        database.Reachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;

    private static async Task<DatabaseHealth> CheckDatabaseAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return new DatabaseHealth(true, null);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The kind of fault only: a connection error's text can name hosts and users.
            return new DatabaseHealth(false, e is OperationCanceledException ? "timed out" : e.GetType().Name);
        }
    }
}
