using CrisisDesk.Web.Features.Account;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Audit;

public static class AuditExtensions
{
    public static IHostApplicationBuilder AddAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditQueries>();
        return builder;
    }

    /// <summary>
    /// <c>GET /api/audit</c> (Approver and above: read) and <c>POST /api/audit/verify</c> (Admin), the same as the pages.
    /// </summary>
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/audit").WithCommandErrors();
        group.MapGet("", async (AuditQueries queries, string? actor, string? action, int? incidentId, DateTimeOffset? from, DateTimeOffset? to,
            long? before, int? pageSize, CancellationToken cancellationToken) =>
        {
            var page = await queries.PageAsync(new AuditFilter(actor, action, incidentId, from, to), before, pageSize ?? 100, cancellationToken);
            return Results.Ok(new
            {
                events = page.Events.Select(e => new { e.Seq, e.At, e.Actor, e.Action, e.IncidentId, payload = e.Payload }),
                nextBefore = page.NextBefore,
            });
        }).RequireAuthorization(Policies.Approver);
        group.MapPost("/verify", async (HttpContext context, CommandAuthorizer authorizer, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        {
            await authorizer.RequireAsync(context.User, Policies.Admin, "verify the audit log", cancellationToken: cancellationToken);
            var result = await AuditVerifier.VerifyAndRecordAsync(dataSource, context.User.ActorName(), "web", cancellationToken);
            return Results.Ok(new
            {
                holds = result.Holds,
                linked = result.Linked,
                headSeq = result.HeadSeq,
                headHash = result.HeadHashHex,
                breakSeq = result.Break?.Seq,
                breakKind = result.Break?.Kind.ToString().ToLowerInvariant(),
                problem = result.Break?.Problem,
                message = AuditVerifier.Describe(result),
            });
        }).RequireAuthorization(Policies.Viewer);
        return endpoints;
    }
}
