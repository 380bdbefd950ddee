using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>
/// An incident's sources over HTTP, for scripts: the same commands, authorisation and events as the Sources page.
/// Settings errors come back as a validation problem keyed by field (<c>url</c>, <c>rules[0].value</c>, …).
/// </summary>
public static class SourceEndpoints
{
    /// <param name="Config">The kind's JSON configuration, as README.md documents it; credentials by name only.</param>
    public sealed record SourceRequest(string? Kind, string? Name, JsonElement Config);

    public sealed record CommandResult(bool Changed, SourceView Source);

    public static IEndpointRouteBuilder MapSourceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/incidents/{incidentId:int}/sources").RequireAuthorization(Policies.Viewer).WithCommandErrors();

        api.MapGet("/", async (int incidentId, HttpContext http, SourceCommands sources) =>
            Results.Ok((await sources.ListAsync(http.User, incidentId, http.RequestAborted)).Select(sources.ViewOf).ToList()));

        api.MapPost("/", async (int incidentId, SourceRequest request, HttpContext http, SourceCommands sources) =>
        {
            var id = await sources.AddAsync(http.User, incidentId, request.Kind ?? "", request.Name, request.Config, http.RequestAborted);
            return Results.Created($"/api/incidents/{incidentId}/sources/{id}", await ViewAsync(sources, http, incidentId, id));
        });

        api.MapPost("/test", async (int incidentId, SourceRequest request, HttpContext http, SourceTester tester) =>
            Results.Ok(await tester.TestAsync(http.User, incidentId, request.Kind ?? "", request.Name, request.Config, http.RequestAborted)));

        // Replay files into the import directory (Admin): multipart/form-data with one part named "file".
        api.MapPost("/replay-files", async (int incidentId, HttpContext http, ReplayFileImport import) =>
        {
            if (!http.Request.HasFormContentType)
                return Results.Problem("Send the file as multipart/form-data, in a part named \"file\".", statusCode: StatusCodes.Status415UnsupportedMediaType);
            // Room for the file and its multipart framing; the import itself stops at its own limit while reading.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = import.MaxBytes + 64 * 1024;
            var form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = import.MaxBytes + 64 * 1024 }, http.RequestAborted);
            if (form.Files.GetFile("file") is not { } file)
                throw new SourceInputException(new Dictionary<string, string> { ["file"] = "Send the file in a part named \"file\"." });
            await using var content = file.OpenReadStream();
            var imported = await import.ImportAsync(http.User, incidentId, file.FileName, content, http.RequestAborted);
            return Results.Created($"/api/incidents/{incidentId}/sources/replay-files/{Uri.EscapeDataString(imported.File)}", imported);
        }).Accepts<IFormFile>("multipart/form-data"); // the one body type the cross-site check lets through here

        api.MapGet("/{sourceId:int}", async (int incidentId, int sourceId, HttpContext http, SourceCommands sources) =>
            Results.Ok(await ViewAsync(sources, http, incidentId, sourceId)));

        api.MapPut("/{sourceId:int}", async (int incidentId, int sourceId, SourceRequest request, HttpContext http, SourceCommands sources) =>
        {
            var changed = await sources.ChangeAsync(http.User, incidentId, sourceId, request.Name, request.Config, http.RequestAborted);
            return Results.Ok(new CommandResult(changed, await ViewAsync(sources, http, incidentId, sourceId)));
        });

        api.MapPost("/{sourceId:int}/start", async (int incidentId, int sourceId, HttpContext http, SourceCommands sources) =>
        {
            var started = await sources.StartAsync(http.User, incidentId, sourceId, http.RequestAborted);
            return Results.Ok(new CommandResult(started, await ViewAsync(sources, http, incidentId, sourceId)));
        });

        api.MapPost("/{sourceId:int}/stop", async (int incidentId, int sourceId, HttpContext http, SourceCommands sources) =>
        {
            var stopped = await sources.StopAsync(http.User, incidentId, sourceId, http.RequestAborted);
            return Results.Ok(new CommandResult(stopped, await ViewAsync(sources, http, incidentId, sourceId)));
        });

        api.MapDelete("/{sourceId:int}", async (int incidentId, int sourceId, HttpContext http, SourceCommands sources) =>
        {
            await sources.RemoveAsync(http.User, incidentId, sourceId, http.RequestAborted);
            return Results.NoContent();
        });
        return endpoints;
    }

    private static async Task<SourceView> ViewAsync(SourceCommands sources, HttpContext http, int incidentId, int sourceId)
    {
        var source = (await sources.ListAsync(http.User, incidentId, http.RequestAborted)).FirstOrDefault(s => s.Id == sourceId)
            ?? throw new SourceNotFoundException($"Incident {incidentId} has no source {sourceId}.");
        return sources.ViewOf(source);
    }
}
