using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;

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
/// and queues their email and SMS in the publishing outbox, all inside the caller's transaction (its DbContext's): the
/// notification and its deliveries exist together or not at all. Quiet hours hold back email and SMS but never an urgent one.
/// </summary>
public sealed class NotificationFanOut(IEnumerable<IDeliveryChannel> channels, TimeProvider time)
{
    private sealed record Candidate(int UserId, string UserName, string Role, string? Email, string? Phone,
        TimeOnly? QuietFrom, TimeOnly? QuietUntil, string? TimeZone,
        bool? InApp, bool? ByEmail, bool? BySms, string? MinSeverity);

    private bool Configured(string name) => channels.Any(c => c.Name == name && c.IsConfigured);

    /// <summary>Raises <paramref name="trigger"/> in <paramref name="db"/>'s open transaction; the caller commits.</summary>
    public async Task<FanOutResult> RaiseAsync(CrisisDeskDbContext db, NotificationTrigger trigger, CancellationToken cancellationToken)
    {
        var roles = Roles.AtLeast(trigger.MinimumRole ?? Roles.Viewer);
        var kind = trigger.Kind;
        var notFor = trigger.NotFor?.ToLowerInvariant();
        var candidates = await (
                from u in db.Users.AsNoTracking()
                where !u.Disabled && roles.Contains(u.Role) && (notFor == null || u.UserName.ToLower() != notFor)
                from s in db.NotificationSettings.AsNoTracking().Where(s => s.UserId == u.Id).DefaultIfEmpty()
                from r in db.NotificationRules.AsNoTracking().Where(r => r.UserId == u.Id && r.Kind == kind).DefaultIfEmpty()
                orderby u.Id
                select new Candidate(u.Id, u.UserName, u.Role,
                    s == null ? null : s.Email, s == null ? null : s.Phone,
                    s == null ? null : s.QuietFrom, s == null ? null : s.QuietUntil, s == null ? null : s.TimeZone,
                    r == null ? null : r.InApp, r == null ? null : r.Email, r == null ? null : r.Sms, r == null ? null : r.MinSeverity))
            .ToListAsync(cancellationToken);
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
            if (await InsertOnceAsync(db, person.UserId, trigger, rule.InApp, cancellationToken) is not { } notificationId)
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
                db.Deliveries.Add(new DeliveryRow { IncidentId = trigger.IncidentId, NotificationId = notificationId, Channel = channel, IdempotencyKey = Guid.NewGuid() });
                queued++;
            }
        }
        if (queued > 0)
            await db.SaveChangesAsync(cancellationToken); // in the order added: email before SMS, person by person
        return new FanOutResult(inApp, queued);
    }

    /// <summary>Writes the person's notification unless they have one with this dedupe key; its id, or null when told already.</summary>
    /// <remarks>
    /// One statement that skips a duplicate instead of failing (<see cref="NotificationDedupe"/>): a trigger raised twice
    /// at once (two nodes, a restart) tells each person once and fails neither transaction. An escalation step is numbered.
    /// </remarks>
    internal static Task<long?> InsertOnceAsync(CrisisDeskDbContext db, int userId, NotificationTrigger trigger, bool inApp, CancellationToken cancellationToken,
        int escalationStep = 0) =>
        NotificationDedupe.InsertOnceAsync(db, new NotificationRow
        {
            UserId = userId, IncidentId = trigger.IncidentId, Kind = trigger.Kind, Title = trigger.Title, Body = trigger.Body, Link = trigger.Link,
            Urgent = trigger.Urgent, DedupeKey = trigger.DedupeKey, EscalationStep = escalationStep,
        }, inApp, cancellationToken);
}
