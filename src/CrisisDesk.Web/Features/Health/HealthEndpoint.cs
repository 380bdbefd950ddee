using CrisisDesk.Ingest.Pipeline;
using Npgsql;

namespace CrisisDesk.Web.Features.Health;

/// <summary>
/// <c>GET /healthz</c>: whether the database answers, and each running source's state and counters. Anonymous, so a
/// load balancer or monitor can ask; it carries no post content and no credentials.
/// </summary>
public static class HealthEndpoint
{
    public sealed record SourceHealth(int Id, int IncidentId, string Kind, string Name, string State, string? Detail, DateTimeOffset? Until,
        long PostsStored, long Quarantined, DateTimeOffset? LastItemAt, long EditsStored, long DeletionsApplied, long DeletionsUnmatched);

    public sealed record DatabaseHealth(bool Reachable, string? Error);

    public sealed record Health(string Status, DatabaseHealth Database, IReadOnlyList<SourceHealth> Sources);

    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", async (NpgsqlDataSource dataSource, SourceMonitor monitor, CancellationToken ct) =>
        {
            DatabaseHealth database;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(timeout.Token);
                database = new DatabaseHealth(true, null);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                // The kind of fault only: a connection error's text can name hosts and users.
                database = new DatabaseHealth(false, e is OperationCanceledException ? "timed out" : e.GetType().Name);
            }
            var sources = monitor.Snapshot().Select(s => new SourceHealth(s.SourceId, s.IncidentId, s.Kind, s.Name, s.State.ToString(), s.Detail, s.Until,
                s.PostsStored, s.Quarantined, s.LastItemAt, s.EditsStored, s.DeletionsApplied, s.DeletionsUnmatched)).ToList();
            var healthy = database.Reachable;
            return Results.Json(new Health(healthy ? "healthy" : "unhealthy", database, sources),
                statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
        return endpoints;
    }
}
