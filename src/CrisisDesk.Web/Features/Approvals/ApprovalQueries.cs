using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Rebuttals;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Approvals;

/// <summary>What waits for a decision: a rebuttal or an alert that was submitted and that this person did not write.</summary>
public sealed record ApprovalItem(string Kind, int Id, int IncidentId, string IncidentName, string Title, string SubmittedBy, DateTime SubmittedAt)
{
    public const string Rebuttal = "rebuttal";
    public const string Alert = "alert";

    /// <summary>Where the decision is taken: the item's approval view.</summary>
    public string Href => Kind == Alert ? $"/incidents/{IncidentId}/alerts/{Id}" : $"/incidents/{IncidentId}/rebuttals/{Id}";

    public string KindLabel => Kind == Alert ? "Emergency alert" : "Rebuttal";
}

/// <summary>What waits for a person's decision; the inbox and the badge read it through this seam.</summary>
public interface IApprovalsWaiting
{
    Task<IReadOnlyList<ApprovalItem>> WaitingForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);

    Task<int> CountForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);
}

/// <summary>
/// The approvals inbox: across every incident, what the signed-in Approver (or Admin) may decide, oldest first. Only
/// Approvers and Admins may ask (checked on the server, refusals logged); nobody sees what they wrote themselves, since
/// the two-person rule would refuse their decision.
/// </summary>
public sealed class ApprovalQueries(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts, CommandAuthorizer authorizer) : IApprovalsWaiting
{
    /// <summary>Everything waiting for <paramref name="user"/>'s decision, oldest first.</summary>
    public async Task<IReadOnlyList<ApprovalItem>> WaitingForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Approver, "see the approvals inbox", cancellationToken: cancellationToken);
        var actor = user.ActorName();
        List<(ApprovalItem Item, string Author)> waiting;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var rows = await (from r in SubmittedRebuttals(db, actor)
                              join i in db.Incidents.AsNoTracking() on r.IncidentId equals i.Id
                              select new { Kind = ApprovalItem.Rebuttal, r.Id, r.IncidentId, IncidentName = i.Name, r.Title, r.Author, SubmittedAt = r.UpdatedAt })
                .Concat(from a in SubmittedAlerts(db, actor)
                        join i in db.Incidents.AsNoTracking() on a.IncidentId equals i.Id
                        select new { Kind = ApprovalItem.Alert, a.Id, a.IncidentId, IncidentName = i.Name, Title = a.Headline, a.Author, SubmittedAt = a.UpdatedAt })
                .ToListAsync(cancellationToken);
            waiting = rows.Select(w => (new ApprovalItem(w.Kind, w.Id, w.IncidentId, w.IncidentName, w.Title, "", w.SubmittedAt), w.Author)).ToList();
        }
        if (waiting.Count == 0)
            return [];

        // Who submitted each item: the latest submission in the event log (which EF Core does not map), else its author.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var submitters = await EventLogReader.LastActorsAsync(connection, [.. waiting.Select(w => w.Item.Kind == ApprovalItem.Alert
            ? new ActedOn(w.Item.IncidentId, EventActions.AlertSubmitted, "alertId", w.Item.Id)
            : new ActedOn(w.Item.IncidentId, EventActions.RebuttalSubmitted, "rebuttalId", w.Item.Id))], cancellationToken);
        return waiting.Select((w, index) => w.Item with { SubmittedBy = submitters[index] ?? w.Author })
            .OrderBy(i => i.SubmittedAt).ThenBy(i => i.Kind, StringComparer.Ordinal).ThenBy(i => i.Id).ToList();
    }

    /// <summary>How many items wait for <paramref name="user"/>: the badge's number.</summary>
    public async Task<int> CountForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Approver, "see the approvals inbox", cancellationToken: cancellationToken);
        var actor = user.ActorName();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await SubmittedRebuttals(db, actor).Select(r => r.Id).Concat(SubmittedAlerts(db, actor).Select(a => a.Id)).CountAsync(cancellationToken);
    }

    // Submitted, and the person is none of its writers (compared as the server's two-person rule compares them).
    private static IQueryable<RebuttalRow> SubmittedRebuttals(CrisisDeskDbContext db, string actor) =>
        db.Rebuttals.AsNoTracking().Where(r => r.State == RebuttalRecord.Submitted && !r.Editors.Any(w => w.ToLower() == actor.ToLower()));

    private static IQueryable<AlertRow> SubmittedAlerts(CrisisDeskDbContext db, string actor) =>
        db.Alerts.AsNoTracking().Where(a => a.State == AlertRecord.Submitted && !a.Editors.Any(w => w.ToLower() == actor.ToLower()));

    /// <summary>Whether an activity can change what waits for approval (a submission or a decision, of a rebuttal or an alert).</summary>
    public static bool Concerns(string action) => action is EventActions.RebuttalSubmitted or EventActions.RebuttalApproved or EventActions.RebuttalRejected or EventActions.RebuttalRevised
        or EventActions.AlertSubmitted or EventActions.AlertApproved or EventActions.AlertRejected or EventActions.AlertRevised;

    /// <summary>"3 min", "2 h 5 min", "1 day 4 h": how long something has waited, at a glance.</summary>
    public static string Waited(TimeSpan waited)
    {
        if (waited < TimeSpan.FromMinutes(1))
            return "under a minute";
        if (waited < TimeSpan.FromHours(1))
            return $"{(int)waited.TotalMinutes} min";
        if (waited < TimeSpan.FromDays(1))
            return waited.Minutes == 0 ? $"{(int)waited.TotalHours} h" : $"{(int)waited.TotalHours} h {waited.Minutes} min";
        var days = (int)waited.TotalDays;
        return $"{days} day{(days == 1 ? "" : "s")}" + (waited.Hours == 0 ? "" : $" {waited.Hours} h");
    }
}

public static class ApprovalServices
{
    public static IServiceCollection AddApprovals(this IServiceCollection services)
    {
        services.AddSingleton<ApprovalQueries>();
        services.AddSingleton<IApprovalsWaiting>(sp => sp.GetRequiredService<ApprovalQueries>());
        return services;
    }
}
