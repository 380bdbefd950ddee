using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Incidents;

/// <summary>The incident commands over HTTP, for scripts and other systems; the same authorisation as the UI.</summary>
public static class IncidentEndpoints
{
    public sealed record OpenIncidentRequest(string Name, string[]? Keywords, string? Area, string[]? AreaPolygons = null, string[]? AreaCircles = null);

    public static IEndpointRouteBuilder MapIncidentEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/incidents").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/", async (IncidentCommands incidents, CancellationToken ct) => Results.Ok(await incidents.ListAsync(ct)));
        api.MapPost("/", async (OpenIncidentRequest request, HttpContext http, IncidentCommands incidents) =>
        {
            var id = await incidents.OpenAsync(http.User, request.Name, request.Keywords ?? [], request.Area,
                new IncidentAreaShapes(request.AreaPolygons ?? [], request.AreaCircles ?? []), http.RequestAborted);
            return Results.Created($"/incidents/{id}", new { id });
        });
        api.MapPost("/drill", async (HttpContext http, IncidentCommands incidents) =>
        {
            var id = await incidents.StartDrillAsync(http.User, http.RequestAborted);
            return Results.Created($"/incidents/{id}", new { id });
        });
        return endpoints;
    }
}
