using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Xml;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>The alert commands over HTTP (CAP XML in, JSON out), with the same authorisation and rules as the composer.</summary>
public static class AlertEndpoints
{
    /// <summary>A decision; approving may also name email and SMS recipient lists (ids) to send the alert to.</summary>
    public sealed record DecisionRequest(string? Comment, int[]? Lists = null);

    /// <summary>Accepted beside application/cap+xml for CAP bodies (the cross-site check refuses any other type with 415).</summary>
    public const string CapXmlAlternativeMediaType = "application/xml";

    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton<AlertCommands>();
        return services;
    }

    public static IEndpointRouteBuilder MapAlertEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/incidents/{incidentId:int}/alerts", async (int incidentId, AlertCommands alerts, CancellationToken ct) =>
            Results.Ok((await alerts.ListAsync(incidentId, ct)).Select(Summary)));
        api.MapGet("/alerts/{alertId:int}", async (int alertId, AlertCommands alerts, DeliveryStore deliveries, CancellationToken ct) =>
            await alerts.GetAsync(alertId, ct) is { } alert
                ? Results.Ok(new { alert = Summary(alert), capXml = alert.CapXml, deliveries = await deliveries.ListAsync(alertId, null, ct) })
                : Results.NotFound());
        api.MapPost("/incidents/{incidentId:int}/alerts", async (int incidentId, HttpContext http, AlertCommands alerts) =>
        {
            var composed = await ReadCapAsync(http.Request);
            var (id, problems) = await alerts.DraftAsync(http.User, incidentId, composed, http.RequestAborted);
            return Results.Created($"/alerts/{id}", new { id, problems = problems.Select(p => p.ToString()) });
        }).Accepts<string>(CapXml.MediaType, CapXmlAlternativeMediaType);
        api.MapPut("/alerts/{alertId:int}", async (int alertId, HttpContext http, AlertCommands alerts) =>
        {
            var problems = await alerts.ReviseAsync(http.User, alertId, await ReadCapAsync(http.Request), http.RequestAborted);
            return Results.Ok(new { id = alertId, problems = problems.Select(p => p.ToString()) });
        }).Accepts<string>(CapXml.MediaType, CapXmlAlternativeMediaType);
        api.MapPost("/alerts/{alertId:int}/submit", async (int alertId, HttpContext http, AlertCommands alerts) =>
            { await alerts.SubmitAsync(http.User, alertId, http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/alerts/{alertId:int}/approve", async (int alertId, DecisionRequest? request, HttpContext http, AlertCommands alerts) =>
            { await alerts.ApproveAsync(http.User, alertId, request?.Comment, http.RequestAborted, request?.Lists); return Results.NoContent(); });
        api.MapPost("/alerts/{alertId:int}/reject", async (int alertId, DecisionRequest request, HttpContext http, AlertCommands alerts) =>
            { await alerts.RejectAsync(http.User, alertId, request.Comment ?? "", http.RequestAborted); return Results.NoContent(); });
        api.MapPost("/alerts/{alertId:int}/update", async (int alertId, HttpContext http, AlertCommands alerts) =>
        {
            var id = await alerts.DraftFollowUpAsync(http.User, alertId, CapMsgType.Update, http.RequestAborted);
            return Results.Created($"/alerts/{id}", new { id });
        });
        api.MapPost("/alerts/{alertId:int}/cancel", async (int alertId, HttpContext http, AlertCommands alerts) =>
        {
            var id = await alerts.DraftFollowUpAsync(http.User, alertId, CapMsgType.Cancel, http.RequestAborted);
            return Results.Created($"/alerts/{id}", new { id });
        });
        return endpoints;
    }

    private static object Summary(AlertRecord a) => new
    {
        a.Id, a.IncidentId, a.Identifier, a.ThreadRootId, a.MsgType, status = a.CapStatus, a.Headline, a.State, a.Author, a.Approver, a.DecisionComment,
    };

    private static async Task<CapAlert> ReadCapAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var buffer = new char[SafeXml.MaxDocumentCharacters + 1 > 1_048_576 ? 1_048_576 : SafeXml.MaxDocumentCharacters + 1];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > SafeXml.MaxDocumentCharacters)
                throw new AlertInputException($"The CAP document is larger than {SafeXml.MaxDocumentCharacters} characters.");
        }
        try
        {
            return CapXml.Read(text.ToString());
        }
        catch (CapFormatException e)
        {
            throw new AlertInputException("The body is not a CAP 1.2 document: " + e.Message);
        }
    }
}
