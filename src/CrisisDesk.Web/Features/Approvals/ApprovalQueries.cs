using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Web.Features.Account;
using Dapper;
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
public sealed class ApprovalQueries(NpgsqlDataSource dataSource, CommandAuthorizer authorizer) : IApprovalsWaiting
{
    // Submitted, and the person is none of its writers (compared as the server's two-person rule compares them).
    private const string Waiting = """
        SELECT 'rebuttal' AS Kind, r.id, r.incident_id AS IncidentId, i.name AS IncidentName, r.title,
               coalesce((SELECT e.actor FROM events e WHERE e.incident_id = r.incident_id AND e.action = 'rebuttal.submitted'
                          AND e.payload->>'rebuttalId' = r.id::text ORDER BY e.seq DESC LIMIT 1), r.author) AS SubmittedBy,
               r.updated_at AS SubmittedAt
          FROM rebuttals r JOIN incidents i ON i.id = r.incident_id
         WHERE r.state = 'submitted' AND NOT EXISTS (SELECT 1 FROM unnest(r.editors) w WHERE lower(w) = lower(@actor))
        UNION ALL
        SELECT 'alert', a.id, a.incident_id, i.name, a.headline,
               coalesce((SELECT e.actor FROM events e WHERE e.incident_id = a.incident_id AND e.action = 'alert.submitted'
                          AND e.payload->>'alertId' = a.id::text ORDER BY e.seq DESC LIMIT 1), a.author),
               a.updated_at
          FROM alerts a JOIN incidents i ON i.id = a.incident_id
         WHERE a.state = 'submitted' AND NOT EXISTS (SELECT 1 FROM unnest(a.editors) w WHERE lower(w) = lower(@actor))
        """;

    /// <summary>Everything waiting for <paramref name="user"/>'s decision, oldest first.</summary>
    public async Task<IReadOnlyList<ApprovalItem>> WaitingForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Approver, "see the approvals inbox", cancellationToken: cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApprovalItem>(new CommandDefinition(
            $"SELECT * FROM ({Waiting}) w ORDER BY SubmittedAt, Kind, Id", new { actor = user.ActorName() }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>How many items wait for <paramref name="user"/>: the badge's number.</summary>
    public async Task<int> CountForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Approver, "see the approvals inbox", cancellationToken: cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT count(*)::int FROM ({Waiting}) w", new { actor = user.ActorName() }, cancellationToken: cancellationToken));
    }

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
