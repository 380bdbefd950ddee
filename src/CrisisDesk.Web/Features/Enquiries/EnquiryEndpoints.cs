using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>The enquiries inbox over HTTP, with the page's rules.</summary>
public static class EnquiryEndpoints
{
    public sealed record AssignRequest(string? Assignee, bool TakeOver);
    public sealed record StatusRequest(string? Status);

    /// <summary>The detector that opens enquiries from new posts, and the inbox's commands and reads.</summary>
    public static IHostApplicationBuilder AddEnquiries(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EnquiryOptions>().BindConfiguration(EnquiryOptions.Section)
            .Validate(o => o.ScanInterval > TimeSpan.Zero && o.BatchSize > 0, "CrisisDesk:Enquiries:ScanInterval and BatchSize must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<EnquiryCommands>();
        builder.Services.AddSingleton<EnquiryQueries>();
        builder.Services.AddHostedService<EnquiryDetector>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEnquiryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/incidents/{incidentId:int}/enquiries", async (int incidentId, bool? all, EnquiryQueries enquiries, CancellationToken ct) =>
            Results.Ok(await enquiries.ListAsync(incidentId, all ?? false, ct)));
        api.MapGet("/incidents/{incidentId:int}/enquiries/metrics", async (int incidentId, EnquiryQueries enquiries, TimeProvider time, CancellationToken ct) =>
            Results.Ok(await enquiries.MetricsAsync(incidentId, time.GetUtcNow().UtcDateTime, ct)));
        api.MapPost("/posts/{postId:long}/enquiry", async (long postId, HttpContext http, EnquiryCommands enquiries) =>
            Results.Ok(new { id = await enquiries.MarkAsync(http.User, postId, http.RequestAborted) }));
        api.MapPost("/enquiries/{enquiryId:int}/take", async (int enquiryId, HttpContext http, EnquiryCommands enquiries) =>
            { await enquiries.AssignAsync(http.User, enquiryId, http.User.ActorName(), takeOver: false, http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/enquiries/{enquiryId:int}/assign", async (int enquiryId, AssignRequest request, HttpContext http, EnquiryCommands enquiries) =>
            { await enquiries.AssignAsync(http.User, enquiryId, request.Assignee, request.TakeOver, http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/enquiries/{enquiryId:int}/status", async (int enquiryId, StatusRequest request, HttpContext http, EnquiryCommands enquiries) =>
            { await enquiries.SetStatusAsync(http.User, enquiryId, request.Status ?? "", http.RequestAborted); return Results.NoContent(); });
        return endpoints;
    }
}
