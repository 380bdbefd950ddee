using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>Triage and rumour commands over HTTP, for scripts and other systems; the same commands and authorisation as the UI.</summary>
public static class RumourEndpoints
{
    public sealed record CreateRumourRequest(string Claim, string? Severity, string? Owner, string[]? Keywords, long[]? PostIds, long[]? StoryIds);

    public sealed record ChangeStatusRequest(int ExpectedVersion, string Status, string? Note);

    public sealed record UpdateRumourRequest(int ExpectedVersion, string Claim, string Severity, string Owner);

    public sealed record LinkRequest(long? PostId, long? StoryId);

    /// <summary>Registers the triage (search indexing included) and rumour services.</summary>
    public static IHostApplicationBuilder AddRumours(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<CrisisDesk.Core.Live.IncidentActivityFeed>();
        services.AddSingleton<TriageQueries>();
        services.AddSingleton<CrisisDesk.Data.Posts.SearchIndexer>();
        services.AddHostedService<SearchIndexService>();
        services.AddSingleton<TriageCommands>();
        services.AddSingleton<IncidentTemperature>();
        services.AddSingleton<RumourQueries>();
        services.AddSingleton<RumourCommands>();
        services.AddSingleton<RumourPresence>();
        services.AddSingleton<RumourSuggester>();
        services.AddHostedService(sp => sp.GetRequiredService<RumourSuggester>());
        return builder;
    }

    public static IEndpointRouteBuilder MapRumourEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors();

        api.MapGet("/incidents/{incidentId:int}/posts", async (int incidentId, string? q, string? platform, string? lang, bool? media, int? minutes,
            bool? unreviewed, bool? official, TriageQueries triage, CancellationToken ct) =>
        {
            var filter = new TriageFilter(q, platform, lang, media ?? false, minutes, unreviewed ?? false, official ?? false);
            var (count, maxId) = await triage.HeadAsync(incidentId, filter, cancellationToken: ct);
            return Results.Ok(new { count, posts = await triage.PageAsync(incidentId, filter, maxId, 0, 100, ct) });
        });
        api.MapGet("/incidents/{incidentId:int}/stories", async (int incidentId, TriageQueries triage, CancellationToken ct) =>
            Results.Ok(await triage.TopStoriesAsync(incidentId, 50, ct)));
        api.MapPost("/posts/{postId:long}/flag", async (long postId, HttpContext http, TriageCommands triage) =>
        {
            await triage.FlagAsync(http.User, postId, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapPost("/posts/{postId:long}/review", async (long postId, HttpContext http, TriageCommands triage) =>
        {
            await triage.MarkReviewedAsync(http.User, postId, http.RequestAborted);
            return Results.NoContent();
        });

        api.MapGet("/incidents/{incidentId:int}/rumours", async (int incidentId, RumourQueries rumours, CancellationToken ct) =>
            Results.Ok(await rumours.BoardAsync(incidentId, ct)));
        api.MapPost("/incidents/{incidentId:int}/rumours", async (int incidentId, CreateRumourRequest request, HttpContext http, RumourCommands rumours) =>
        {
            var severity = ParseSeverity(request.Severity ?? nameof(RumourSeverity.Medium));
            var id = await rumours.CreateAsync(http.User, incidentId, request.Claim, severity, request.Owner, request.Keywords, request.PostIds, request.StoryIds, http.RequestAborted);
            return Results.Created($"/incidents/{incidentId}/rumours/{id}", new { id });
        });
        api.MapGet("/rumours/{rumourId:int}", async (int rumourId, RumourQueries rumours, CancellationToken ct) =>
            await rumours.GetAsync(rumourId, ct) is { } rumour ? Results.Ok(rumour) : Results.NotFound());
        api.MapGet("/rumours/{rumourId:int}/suggestions", async (int rumourId, RumourQueries rumours, CancellationToken ct) =>
            Results.Ok(await rumours.PendingSuggestionsAsync(rumourId, ct)));
        api.MapPost("/rumours/{rumourId:int}/status", async (int rumourId, ChangeStatusRequest request, HttpContext http, RumourCommands rumours) =>
        {
            if (!RumourLifecycle.TryParse(request.Status, out var status))
                throw new RumourInputException($"Unknown status \"{request.Status}\": use one of {string.Join(", ", Enum.GetNames<RumourStatus>())}.");
            return Results.Ok(await rumours.ChangeStatusAsync(http.User, rumourId, request.ExpectedVersion, status, request.Note, http.RequestAborted));
        });
        api.MapPut("/rumours/{rumourId:int}", async (int rumourId, UpdateRumourRequest request, HttpContext http, RumourCommands rumours) =>
            Results.Ok(await rumours.UpdateAsync(http.User, rumourId, request.ExpectedVersion, request.Claim, ParseSeverity(request.Severity), request.Owner, http.RequestAborted)));
        api.MapPost("/rumours/{rumourId:int}/links", async (int rumourId, LinkRequest request, HttpContext http, RumourCommands rumours) =>
        {
            await rumours.LinkAsync(http.User, rumourId, request.PostId, request.StoryId, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapPost("/suggestions/{suggestionId:long}/confirm", async (long suggestionId, HttpContext http, RumourCommands rumours) =>
        {
            await rumours.ConfirmSuggestionAsync(http.User, suggestionId, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapPost("/suggestions/{suggestionId:long}/reject", async (long suggestionId, HttpContext http, RumourCommands rumours) =>
        {
            await rumours.RejectSuggestionAsync(http.User, suggestionId, http.RequestAborted);
            return Results.NoContent();
        });
        return endpoints;
    }

    private static RumourSeverity ParseSeverity(string value) =>
        Enum.TryParse<RumourSeverity>(value, ignoreCase: false, out var severity) && Enum.IsDefined(severity)
            ? severity
            : throw new RumourInputException($"Unknown severity \"{value}\": use one of {string.Join(", ", Enum.GetNames<RumourSeverity>())}.");
}
