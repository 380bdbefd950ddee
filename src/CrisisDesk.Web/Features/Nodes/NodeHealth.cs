using System.Text.Json;
using CrisisDesk.Ingest.Pipeline;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// Readiness on ASP.NET Core's health checks, for load balancers and orchestrators: <c>GET /healthz/ready</c>
/// (anonymous) answers 200 when this node can do its work and 503 when not, with each check's name and status only (no
/// hosts, no errors: those are for <c>/healthz/detail</c>, signed in). <c>GET /healthz/live</c> (anonymous,
/// content-free) says only that the process answers. <c>GET /healthz</c> keeps its meaning: up when the database is.
/// </summary>
public static class NodeHealth
{
    public const string ReadyTag = "ready";

    internal static IServiceCollection AddNodeHealthChecks(this IServiceCollection services, NodeRoles roles)
    {
        var checks = services.AddHealthChecks().AddCheck<DatabaseCheck>("database", tags: [ReadyTag]);
        if (roles.Ingest)
            checks.AddCheck<IngestLeasesCheck>("ingest-leases", tags: [ReadyTag]);
        if (roles.WebOnly)
            checks.AddCheck<FeedHubCheck>("feed-hub", tags: [ReadyTag]);
        return services;
    }

    internal static IEndpointRouteBuilder MapNodeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz/live", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) => Task.CompletedTask,
        }).AllowAnonymous();
        endpoints.MapHealthChecks("/healthz/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        return endpoints;
    }

    /// <summary><c>{"status":"Healthy","checks":{"database":"Healthy","feed-hub":"Degraded"}}</c>: names and statuses only.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        }));
    }

    private sealed class DatabaseCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(timeout.Token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("database unreachable");
            }
        }
    }

    /// <summary>The ingest node's lease round ran lately: it renews its leases and takes free sources.</summary>
    private sealed class IngestLeasesCheck(IngestHost host) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var late = host.Settings.LeaseTtl;
            return Task.FromResult(host.LastLeaseRound is { } last && DateTimeOffset.UtcNow - last < late
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("no lease round within a lease"));
        }
    }

    /// <summary>
    /// A web-only node's hub connection. Without it the war room still fills, from the sweep, so it is Degraded (still
    /// ready), not Unhealthy.
    /// </summary>
    private sealed class FeedHubCheck(FeedFollower follower) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(follower.State == HubConnectionState.Connected
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Degraded("not connected to the feed hub"));
    }
}
