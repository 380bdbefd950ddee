using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A person's own notification settings and inbox over HTTP, with the same checks as the pages.</summary>
public static class NotificationEndpoints
{
    public sealed record RuleRequest(string Kind, bool InApp, bool Email, bool Sms, string? MinSeverity);

    public sealed record SettingsRequest(string? Email, string? Phone, TimeOnly? QuietFrom, TimeOnly? QuietUntil, string? TimeZone, RuleRequest[]? Rules);

    public sealed record ReadRequest(long[]? Ids);

    public sealed record RotaRequest(string[] UserNames);

    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/notifications").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/", async (HttpContext http, NotificationInbox inbox) =>
            Results.Ok(new { unread = await inbox.UnreadCountAsync(http.User, http.RequestAborted), items = await inbox.ListAsync(http.User, http.RequestAborted) }));
        api.MapPost("/read", async (ReadRequest request, HttpContext http, NotificationInbox inbox) =>
            Results.Ok(new { marked = await inbox.MarkReadAsync(http.User, request.Ids, http.RequestAborted) }));
        api.MapPost("/{id:long}/acknowledge", async (long id, HttpContext http, NotificationInbox inbox) =>
        {
            await inbox.AcknowledgeAsync(http.User, id, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapGet("/settings", async (HttpContext http, NotificationSettingsStore store) => Results.Ok(await store.GetAsync(http.User, http.RequestAborted)));
        api.MapPut("/settings", async (SettingsRequest request, HttpContext http, NotificationSettingsStore store) =>
        {
            // Kinds left out keep what they were.
            var current = await store.GetAsync(http.User, http.RequestAborted);
            var given = (request.Rules ?? []).ToDictionary(r => r.Kind, StringComparer.Ordinal);
            var settings = new NotificationSettings
            {
                Email = request.Email,
                Phone = request.Phone,
                QuietFrom = request.QuietFrom,
                QuietUntil = request.QuietUntil,
                TimeZone = request.TimeZone ?? "UTC",
                Rules = [.. current.Rules.Select(r => given.TryGetValue(r.Kind, out var g) ? new NotificationRule(g.Kind, g.InApp, g.Email, g.Sms, g.MinSeverity) : r),
                         .. given.Values.Where(g => current.Rules.All(r => r.Kind != g.Kind)).Select(g => new NotificationRule(g.Kind, g.InApp, g.Email, g.Sms, g.MinSeverity))],
            };
            try
            {
                await store.SaveAsync(http.User, settings, http.RequestAborted);
            }
            catch (NotificationSettingsException e)
            {
                return Results.ValidationProblem(e.Problems.ToDictionary(p => p.Key, p => new[] { p.Value }), title: "The settings were not saved.");
            }
            return Results.NoContent();
        });
        // Escalation rotas (Admin): the default one, and one per incident.
        api.MapGet("/rota", async (EscalationRotas rotas, CancellationToken ct) => Results.Ok(new { userNames = await rotas.GetAsync(null, ct) }));
        api.MapPut("/rota", async (RotaRequest request, HttpContext http, EscalationRotas rotas) =>
        {
            await rotas.SetAsync(http.User, null, request.UserNames, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapGet("/rota/{incidentId:int}", async (int incidentId, EscalationRotas rotas, CancellationToken ct) => Results.Ok(new { userNames = await rotas.GetAsync(incidentId, ct) }));
        api.MapPut("/rota/{incidentId:int}", async (int incidentId, RotaRequest request, HttpContext http, EscalationRotas rotas) =>
        {
            await rotas.SetAsync(http.User, incidentId, request.UserNames, http.RequestAborted);
            return Results.NoContent();
        });
        return endpoints;
    }
}
