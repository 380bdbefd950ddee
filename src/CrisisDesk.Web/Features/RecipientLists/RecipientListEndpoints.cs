using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>Recipient lists over HTTP (Admin), with the same checks as the page; lists to choose from for publishers.</summary>
public static class RecipientListEndpoints
{
    public sealed record ListRequest(string Name, string? Kind);

    public sealed record RecipientRequest(string? Name, string Address);

    /// <summary>The largest CSV file an import takes (about 50,000 recipients).</summary>
    public const int MaxCsvBytes = 5 * 1024 * 1024;

    public static IEndpointRouteBuilder MapRecipientListEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Publishers choose lists by name and size; only Admins see who is on them.
        endpoints.MapGet("/api/lists", async (IDbContextFactory<CrisisDeskDbContext> contexts, CancellationToken ct) => Results.Ok(await ListDeliveries.ChoicesAsync(contexts, ct)))
            .RequireAuthorization(Policies.Operator);
        // Signed in is enough to reach a command; the command requires Admin itself, so a refusal is recorded in the log.
        var api = endpoints.MapGroup("/api/lists").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapPost("/", async (ListRequest request, HttpContext http, RecipientListCommands lists) =>
        {
            var id = await lists.CreateAsync(http.User, request.Name, request.Kind ?? "", http.RequestAborted);
            return Results.Created($"/api/lists/{id}", new { id });
        });
        api.MapPut("/{id:int}", async (int id, ListRequest request, HttpContext http, RecipientListCommands lists) =>
        {
            await lists.RenameAsync(http.User, id, request.Name, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapDelete("/{id:int}", async (int id, HttpContext http, RecipientListCommands lists) =>
        {
            await lists.DeleteAsync(http.User, id, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapGet("/{id:int}/recipients", async (int id, HttpContext http, RecipientListCommands lists) =>
            Results.Ok(await lists.RecipientsAsync(http.User, id, http.RequestAborted)));
        api.MapPost("/{id:int}/recipients", async (int id, RecipientRequest request, HttpContext http, RecipientListCommands lists) =>
        {
            var recipientId = await lists.AddAsync(http.User, id, request.Name, request.Address, http.RequestAborted);
            return Results.Created($"/api/lists/{id}/recipients/{recipientId}", new { id = recipientId });
        });
        api.MapDelete("/{id:int}/recipients/{recipientId:long}", async (int id, long recipientId, HttpContext http, RecipientListCommands lists) =>
        {
            await lists.RemoveAsync(http.User, id, recipientId, http.RequestAborted);
            return Results.NoContent();
        });
        // The body is the CSV file itself (text/csv), UTF-8.
        api.MapPost("/{id:int}/import", async (int id, HttpContext http, RecipientListCommands lists) =>
        {
            if (http.Request.ContentLength > MaxCsvBytes)
                return Results.Problem($"The file is larger than {MaxCsvBytes / 1024 / 1024} MB: split it.", statusCode: StatusCodes.Status413PayloadTooLarge);
            using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8);
            var csv = await reader.ReadToEndAsync(http.RequestAborted);
            if (csv.Length > MaxCsvBytes)
                return Results.Problem($"The file is larger than {MaxCsvBytes / 1024 / 1024} MB: split it.", statusCode: StatusCodes.Status413PayloadTooLarge);
            return Results.Ok(await lists.ImportAsync(http.User, id, csv, http.RequestAborted));
        }).Accepts<string>("text/csv");
        return endpoints;
    }
}
