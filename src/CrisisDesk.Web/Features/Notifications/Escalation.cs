using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Publishing;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A rota that cannot be set (an unknown or disabled person, someone twice).</summary>
public sealed class RotaException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>Who is told next when nobody acknowledges: per incident, or the default (Admin sets, recorded in the log).</summary>
public sealed class EscalationRotas(NpgsqlDataSource dataSource, CommandAuthorizer authorizer)
{
    public async Task<IReadOnlyList<string>> GetAsync(int? incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT u.user_name FROM escalation_rotas r JOIN users u ON u.id = r.user_id
             WHERE r.incident_id IS NOT DISTINCT FROM @incidentId ORDER BY r.position
            """, new { incidentId }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Replaces the rota of <paramref name="incidentId"/> (null: the default) with these people, in order.</summary>
    public async Task SetAsync(ClaimsPrincipal user, int? incidentId, IReadOnlyList<string> userNames, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "set an escalation rota", incidentId, cancellationToken);
        if (userNames.Distinct(StringComparer.OrdinalIgnoreCase).Count() != userNames.Count)
            throw new RotaException("Name each person once on a rota.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = new List<int>();
        foreach (var name in userNames)
        {
            ids.Add(await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                        "SELECT id FROM users WHERE lower(user_name) = lower(@name) AND NOT disabled", new { name }, transaction, cancellationToken: cancellationToken))
                    ?? throw new RotaException($"\"{name}\" is not an active user."));
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM escalation_rotas WHERE incident_id IS NOT DISTINCT FROM @incidentId",
            new { incidentId }, transaction, cancellationToken: cancellationToken));
        for (var i = 0; i < ids.Count; i++)
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO escalation_rotas (incident_id, position, user_id) VALUES (@incidentId, @position, @userId)",
                new { incidentId, position = i + 1, userId = ids[i] }, transaction, cancellationToken: cancellationToken));
        }
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId, new EscalationRotaSet([.. userNames]), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}

/// <summary>
/// An approval request or an urgent notification that nobody told has acknowledged within
/// <see cref="NotificationOptions.EscalateAfter"/> goes to the next person on the rota (the incident's, else the
/// default) who has not been told yet, in the app, by email and by SMS as far as they have an address and number
/// (on-call: quiet hours do not hold it back), and again after as long, until someone acknowledges or the rota ends.
/// Each step commits with its notification, its deliveries and its event; the per-person dedupe key makes a step
/// taken twice (two nodes) tell nobody twice.
/// </summary>
public sealed class EscalationWatcher(
    NpgsqlDataSource dataSource,
    IEnumerable<IDeliveryChannel> channels,
    NotificationHub hub,
    ClusterSignals signals,
    DeliverySignal deliveries,
    IOptions<NotificationOptions> options,
    ILogger<EscalationWatcher> logger) : BackgroundService
{
    public const string Actor = "notifier";

    private sealed record Overdue(string DedupeKey, int IncidentId, string Kind, string Title, string Body, string Link, bool Urgent, int Step);

    private sealed record Next(int UserId, string UserName, string? Email, string? Phone);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EscalationCheckInterval);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Escalating unacknowledged notifications failed; trying again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Takes one escalation step for everything overdue; returns how many people it told.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var overdue = (await connection.QueryAsync<Overdue>(new CommandDefinition("""
            SELECT n.dedupe_key AS DedupeKey, min(n.incident_id) AS IncidentId, min(n.kind) AS Kind, min(n.title) AS Title, min(n.body) AS Body,
                   min(n.link) AS Link, bool_or(n.urgent) AS Urgent, max(n.escalation_step) AS Step
              FROM notifications n
             WHERE n.kind = 'approval' OR n.urgent
             GROUP BY n.dedupe_key
            HAVING NOT bool_or(n.acknowledged_at IS NOT NULL) AND max(n.created_at) < now() - @after
               AND max(n.created_at) > now() - interval '1 day'
            """, new { after = options.Value.EscalateAfter }, cancellationToken: cancellationToken))).ToList();
        var told = 0;
        foreach (var item in overdue)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var next = await connection.QuerySingleOrDefaultAsync<Next>(new CommandDefinition("""
                SELECT u.id AS UserId, u.user_name AS UserName, s.email, s.phone
                  FROM escalation_rotas r JOIN users u ON u.id = r.user_id LEFT JOIN notification_settings s ON s.user_id = u.id
                 WHERE NOT u.disabled
                   AND r.incident_id IS NOT DISTINCT FROM (CASE WHEN EXISTS (SELECT 1 FROM escalation_rotas WHERE incident_id = @IncidentId) THEN @IncidentId END)
                   AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.dedupe_key = @DedupeKey)
                 ORDER BY r.position LIMIT 1
                """, item, transaction, cancellationToken: cancellationToken));
            if (next is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue; // the rota is exhausted: those told keep it in their inbox
            }
            var step = item.Step + 1;
            var notificationId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
                INSERT INTO notifications (user_id, incident_id, kind, title, body, link, urgent, dedupe_key, escalation_step)
                VALUES (@UserId, @IncidentId, @Kind, @title, @body, @Link, @Urgent, @DedupeKey, @step)
                ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id
                """, new
            {
                next.UserId, item.IncidentId, item.Kind, item.Link, item.Urgent, item.DedupeKey, step,
                title = item.Title.StartsWith("Escalated: ", StringComparison.Ordinal) ? item.Title : "Escalated: " + item.Title,
                body = $"{item.Body} Nobody has acknowledged this for {options.Value.EscalateAfter.TotalMinutes:0} minutes; you are next on the rota.",
            }, transaction, cancellationToken: cancellationToken));
            if (notificationId is not { } id)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }
            var queued = 0;
            foreach (var (channel, contact) in new[] { (ChannelNames.Email, next.Email), (ChannelNames.Sms, next.Phone) })
            {
                if (contact is null || !channels.Any(c => c.Name == channel && c.IsConfigured))
                    continue;
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO deliveries (incident_id, notification_id, channel, idempotency_key) VALUES (@IncidentId, @id, @channel, @key)
                    """, new { item.IncidentId, id, channel, key = Guid.NewGuid() }, transaction, cancellationToken: cancellationToken));
                queued++;
            }
            await EventLog.AppendAsync(connection, transaction, Actor, item.IncidentId, new NotificationEscalated(item.Kind, item.Title, next.UserName, step, id), cancellationToken);
            await signals.AnnounceInboxAsync(connection, transaction, [next.UserName], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            told++;
            hub.Changed([next.UserName]);
            if (queued > 0)
                deliveries.Notify();
        }
        return told;
    }
}
