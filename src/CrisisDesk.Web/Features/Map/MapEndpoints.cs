using System.Buffers.Binary;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Map;

/// <summary>
/// The war room map's posts over plain HTTP, so that a page's map is drawn while its Blazor circuit is still starting
/// (the prerendered page preloads this and MapView.razor.js draws from it); the circuit then adopts that map.
/// </summary>
public static class MapEndpoints
{
    /// <summary>The most located posts a map holds; beyond them the newest are kept.</summary>
    public const int MaxPoints = 10_000;

    public static string PointsUrl(int incidentId) => $"/api/incidents/{incidentId}/map/points";

    public static IEndpointRouteBuilder MapMapEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors()
            .MapGet("/incidents/{incidentId:int}/map/points", async (int incidentId, HttpContext http, MapQueries queries) =>
            {
                var points = await queries.LocatedPointsAsync(incidentId, MaxPoints, http.RequestAborted);
                if (points is null)
                    return Results.NotFound(new { error = $"There is no incident {incidentId}." });
                // Little-endian float64 triples (id, latitude, longitude), newest first: a Float64Array in the browser
                // with nothing to parse (ten thousand posts are 240 kB, against about 350 kB of JSON).
                var body = new byte[points.Length * sizeof(double)];
                for (var i = 0; i < points.Length; i++)
                    BinaryPrimitives.WriteDoubleLittleEndian(body.AsSpan(i * sizeof(double)), points[i]);
                http.Response.Headers.CacheControl = "no-store";
                return Results.Bytes(body, "application/octet-stream");
            });
        return endpoints;
    }
}
