using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Approvals;

namespace CrisisDesk.Web.Features.Rebuttals;

/// <summary>The rebuttal commands over HTTP, with the same authorisation and rules as the page.</summary>
public static class RebuttalEndpoints
{
    public sealed record DraftRequest(string Title, int? RumourId, Dictionary<TextChannel, string> Variants);
    public sealed record ReviseRequest(Dictionary<TextChannel, string> Variants, string? Note);
    public sealed record DecisionRequest(string? Comment);
    public sealed record PublishRequest(string[]? Channels);

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
        api.MapPost("/incidents/{incidentId:int}/rebuttals", (int incidentId, DraftRequest request, HttpContext http, RebuttalCommands rebuttals) => Run(async () =>
        {
            var id = await rebuttals.DraftAsync(http.User, incidentId, request.RumourId, request.Title, request.Variants ?? [], http.RequestAborted);
            return Results.Created($"/rebuttals/{id}", new { id });
        }));
        api.MapPut("/rebuttals/{id:int}", (int id, ReviseRequest request, HttpContext http, RebuttalCommands rebuttals) => Run(async () =>
            Results.Ok(new { version = await rebuttals.ReviseAsync(http.User, id, request.Variants ?? [], request.Note, http.RequestAborted) })));
        api.MapPost("/rebuttals/{id:int}/submit", (int id, HttpContext http, RebuttalCommands rebuttals) =>
            Run(async () => { await rebuttals.SubmitAsync(http.User, id, http.RequestAborted); return Results.NoContent(); }));
        api.MapPost("/rebuttals/{id:int}/approve", (int id, DecisionRequest? request, HttpContext http, RebuttalCommands rebuttals) =>
            Run(async () => { await rebuttals.ApproveAsync(http.User, id, request?.Comment, http.RequestAborted); return Results.NoContent(); }));
        api.MapPost("/rebuttals/{id:int}/reject", (int id, DecisionRequest request, HttpContext http, RebuttalCommands rebuttals) =>
            Run(async () => { await rebuttals.RejectAsync(http.User, id, request.Comment ?? "", http.RequestAborted); return Results.NoContent(); }));
        api.MapPost("/rebuttals/{id:int}/publish", (int id, PublishRequest? request, HttpContext http, RebuttalCommands rebuttals) =>
            Run(async () => Results.Ok(new { channels = await rebuttals.PublishAsync(http.User, id, request?.Channels, http.RequestAborted) })));
        return endpoints;
    }

    private static async Task<IResult> Run(Func<Task<IResult>> command)
    {
        try
        {
            return await command();
        }
        catch (RebuttalInputException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (TwoPersonRuleException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status403Forbidden);
        }
    }
}
