using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>
/// Something happened that people may want to hear about. <see cref="DedupeKey"/> names the happening (an event's
/// seq, a spike's minute): raised twice, it still tells each person once.
/// </summary>
public sealed record NotificationTrigger(
    string Kind, int IncidentId, string DedupeKey, string Title, string Body, string Link,
    bool Urgent = false, string? Severity = null, string? MinimumRole = null, string? NotFor = null);

/// <summary>Who was told what: the people with a new in-app notification, and whether any email or SMS was queued.</summary>
public sealed record FanOutResult(IReadOnlyCollection<string> InAppUsers, int QueuedDeliveries);

/// <summary>
/// Turns a trigger into notifications, one per person whose rule (their own, else their role's default) asks for it,
/// and queues their email and SMS in the publishing outbox, all inside the caller's transaction: the notification and
/// its deliveries exist together or not at all. Quiet hours hold back email and SMS but never an urgent one.
/// </summary>
public sealed class NotificationFanOut(IEnumerable<IDeliveryChannel> channels, TimeProvider time)
{
    private sealed record Candidate(int UserId, string UserName, string Role, string? Email, string? Phone,
        TimeOnly? QuietFrom, TimeOnly? QuietUntil, string? TimeZone,
        bool? InApp, bool? ByEmail, bool? BySms, string? MinSeverity);

    private bool Configured(string name) => channels.Any(c => c.Name == name && c.IsConfigured);

    public async Task<FanOutResult> RaiseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NotificationTrigger trigger, CancellationToken cancellationToken)
    {
        var roles = Roles.AtLeast(trigger.MinimumRole ?? Roles.Viewer);
        var candidates = await connection.QueryAsync<Candidate>(new CommandDefinition("""
            SELECT u.id AS UserId, u.user_name AS UserName, u.role, s.email, s.phone, s.quiet_from AS QuietFrom, s.quiet_until AS QuietUntil,
                   s.time_zone AS TimeZone, r.in_app AS InApp, r.email AS ByEmail, r.sms AS BySms, r.min_severity AS MinSeverity
              FROM users u
              LEFT JOIN notification_settings s ON s.user_id = u.id
              LEFT JOIN notification_rules r ON r.user_id = u.id AND r.kind = @kind
             WHERE NOT u.disabled AND u.role = ANY(@roles) AND (@notFor::text IS NULL OR lower(u.user_name) <> lower(@notFor))
             ORDER BY u.id
            """, new { kind = trigger.Kind, roles, notFor = trigger.NotFor }, transaction, cancellationToken: cancellationToken));
        var inApp = new List<string>();
        var queued = 0;
        var now = time.GetUtcNow();
        foreach (var person in candidates)
        {
            var rule = person.InApp is { } own
                ? new NotificationRule(trigger.Kind, own, person.ByEmail == true, person.BySms == true, person.MinSeverity)
                : RoleDefaults.For(person.Role).First(r => r.Kind == trigger.Kind);
            if (!rule.Any || (trigger.Severity is { } severity && !RumourSeverities.AtLeast(severity, rule.MinSeverity)))
                continue;
            var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
                INSERT INTO notifications (user_id, incident_id, kind, title, body, link, urgent, dedupe_key, read_at)
                VALUES (@UserId, @IncidentId, @Kind, @Title, @Body, @Link, @Urgent, @DedupeKey, CASE WHEN @inApp THEN NULL ELSE now() END)
                ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id
                """, new { person.UserId, trigger.IncidentId, trigger.Kind, trigger.Title, trigger.Body, trigger.Link, trigger.Urgent, trigger.DedupeKey, inApp = rule.InApp },
                transaction, cancellationToken: cancellationToken));
            if (id is not { } notificationId)
                continue; // told already
            if (rule.InApp)
                inApp.Add(person.UserName);
            var quiet = person.QuietFrom is { } from && person.QuietUntil is { } until
                        && new QuietHours(from, until, person.TimeZone ?? "UTC").Contains(now);
            if (quiet && !trigger.Urgent)
                continue;
            var ways = new List<string>();
            if (rule.Email && person.Email is not null && Configured(ChannelNames.Email))
                ways.Add(ChannelNames.Email);
            if (rule.Sms && person.Phone is not null && Configured(ChannelNames.Sms))
                ways.Add(ChannelNames.Sms);
            foreach (var channel in ways)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO deliveries (incident_id, notification_id, channel, idempotency_key) VALUES (@IncidentId, @notificationId, @channel, @key)
                    """, new { trigger.IncidentId, notificationId, channel, key = Guid.NewGuid() }, transaction, cancellationToken: cancellationToken));
                queued++;
            }
        }
        return new FanOutResult(inApp, queued);
    }
}
