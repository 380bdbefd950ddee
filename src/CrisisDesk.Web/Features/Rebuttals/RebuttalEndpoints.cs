using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Approvals;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Rebuttals;

/// <summary>The rebuttal commands over HTTP, with the same authorisation and rules as the page.</summary>
public static class RebuttalEndpoints
{
    public sealed record DraftRequest(string Title, int? RumourId, Dictionary<TextChannel, string> Variants);
    public sealed record ReviseRequest(Dictionary<TextChannel, string> Variants, string? Note);
    public sealed record DecisionRequest(string? Comment);
    /// <summary>Where to publish: social channels by name, and email and SMS recipient lists by id.</summary>
    public sealed record PublishRequest(string[]? Channels, int[]? Lists = null);

    public static IServiceCollection AddRebuttals(this IServiceCollection services)
    {
        services.AddSingleton<RebuttalCommands>();
        // The approvals inbox comes with what it approves (alerts are always registered beside rebuttals).
        services.AddApprovals();
        return services;
    }

    public static IEndpointRouteBuilder MapRebuttalEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/incidents/{incidentId:int}/rebuttals", async (int incidentId, RebuttalCommands rebuttals, CancellationToken ct) =>
            Results.Ok(await rebuttals.ListAsync(incidentId, ct)));
        api.MapGet("/rebuttals/{id:int}/versions", async (int id, RebuttalCommands rebuttals, CancellationToken ct) =>
            Results.Ok(await rebuttals.VersionsAsync(id, ct)));
        api.MapPost("/incidents/{incidentId:int}/rebuttals", async (int incidentId, DraftRequest request, HttpContext http, RebuttalCommands rebuttals) =>
        {
            var id = await rebuttals.DraftAsync(http.User, incidentId, request.RumourId, request.Title, request.Variants ?? [], http.RequestAborted);
            return Results.Created($"/rebuttals/{id}", new { id });
        });
        api.MapPut("/rebuttals/{id:int}", async (int id, ReviseRequest request, HttpContext http, RebuttalCommands rebuttals) =>
            Results.Ok(new { version = await rebuttals.ReviseAsync(http.User, id, request.Variants ?? [], request.Note, http.RequestAborted) }));
        api.MapPost("/rebuttals/{id:int}/submit", async (int id, HttpContext http, RebuttalCommands rebuttals) =>
            { await rebuttals.SubmitAsync(http.User, id, http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/rebuttals/{id:int}/approve", async (int id, DecisionRequest? request, HttpContext http, RebuttalCommands rebuttals) =>
            { await rebuttals.ApproveAsync(http.User, id, request?.Comment, http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/rebuttals/{id:int}/reject", async (int id, DecisionRequest request, HttpContext http, RebuttalCommands rebuttals) =>
            { await rebuttals.RejectAsync(http.User, id, request.Comment ?? "", http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/rebuttals/{id:int}/publish", async (int id, PublishRequest? request, HttpContext http, RebuttalCommands rebuttals) =>
            Results.Ok(new { channels = await rebuttals.PublishAsync(http.User, id, request?.Channels, http.RequestAborted, request?.Lists) }));
        return endpoints;
    }
}
