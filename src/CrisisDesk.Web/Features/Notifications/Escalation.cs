using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A rota that cannot be set (an unknown or disabled person, someone twice).</summary>
public sealed class RotaException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>Who is told next when nobody acknowledges: per incident, or the default (Admin sets, recorded in the log).</summary>
/// <remarks>
/// The default rota is the one whose <c>incident_id</c> is NULL: comparing with a null <c>int?</c> in LINQ reads it
/// (EF Core compares as <c>IS NOT DISTINCT FROM</c> would).
/// </remarks>
public sealed class EscalationRotas(IDbContextFactory<CrisisDeskDbContext> contexts, CommandAuthorizer authorizer)
{
    public async Task<IReadOnlyList<string>> GetAsync(int? incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await (from r in db.EscalationRotas.AsNoTracking()
                      where r.IncidentId == incidentId
                      join u in db.Users.AsNoTracking() on r.UserId equals u.Id
                      orderby r.Position
                      select u.UserName)
            .ToListAsync(cancellationToken);
    }

    /// <summary>Replaces the rota of <paramref name="incidentId"/> (null: the default) with these people, in order.</summary>
    public async Task SetAsync(ClaimsPrincipal user, int? incidentId, IReadOnlyList<string> userNames, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "set an escalation rota", incidentId, cancellationToken);
        if (userNames.Distinct(StringComparer.OrdinalIgnoreCase).Count() != userNames.Count)
            throw new RotaException("Name each person once on a rota.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await EscalationRotaLocks.ForChangeAsync(db, incidentId, cancellationToken);
        var ids = new List<int>();
        foreach (var name in userNames)
        {
            var wanted = name.ToLowerInvariant();
            ids.Add(await db.Users.AsNoTracking().Where(u => u.UserName.ToLower() == wanted && !u.Disabled).Select(u => (int?)u.Id).SingleOrDefaultAsync(cancellationToken)
                    ?? throw new RotaException($"\"{name}\" is not an active user."));
        }
        // The old rota is deleted at once, before the new one is inserted (in one batch), as a rota's positions and people are unique.
        await db.EscalationRotas.Where(r => r.IncidentId == incidentId).ExecuteDeleteAsync(cancellationToken);
        db.EscalationRotas.AddRange(ids.Select((id, i) => new EscalationRotaRow { IncidentId = incidentId, Position = i + 1, UserId = id }));
        await db.SaveChangesAsync(cancellationToken);
        await EventLog.AppendAsync(db, user.ActorName(), incidentId, new EscalationRotaSet([.. userNames]), cancellationToken);
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
    IDbContextFactory<CrisisDeskDbContext> contexts,
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
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false; // a step that fails rolls back whole
        var after = options.Value.EscalateAfter;
        // Per dedupe key (one happening, everyone told of it): nobody has acknowledged, the newest telling is older than
        // the wait and younger than a day. min() picks the first telling's words (an escalated copy's title and body
        // carry more); DateTime.UtcNow is the database's now().
        var overdue = await db.Notifications.AsNoTracking()
            .Where(n => n.Kind == NotificationKinds.Approval || n.Urgent)
            .GroupBy(n => n.DedupeKey)
            .Where(g => g.Count(n => n.AcknowledgedAt != null) == 0
                        && g.Max(n => n.CreatedAt) < DateTime.UtcNow - after
                        && g.Max(n => n.CreatedAt) > DateTime.UtcNow.AddDays(-1))
            .Select(g => new Overdue(g.Key, g.Min(n => n.IncidentId), g.Min(n => n.Kind)!, g.Min(n => n.Title)!, g.Min(n => n.Body)!, g.Min(n => n.Link)!,
                g.Count(n => n.Urgent) > 0, g.Max(n => n.EscalationStep)))
            .ToListAsync(cancellationToken);
        var told = 0;
        foreach (var item in overdue)
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // The first active person on the rota (the incident's if it has one, else the default) not yet told of it.
            var incidentId = item.IncidentId;
            var dedupeKey = item.DedupeKey;
            var next = await (
                    from r in db.EscalationRotas.AsNoTracking()
                    where db.EscalationRotas.Any(own => own.IncidentId == incidentId) ? r.IncidentId == incidentId : r.IncidentId == null
                    join u in db.Users.AsNoTracking() on r.UserId equals u.Id
                    where !u.Disabled && !db.Notifications.Any(n => n.UserId == u.Id && n.DedupeKey == dedupeKey)
                    from s in db.NotificationSettings.AsNoTracking().Where(s => s.UserId == u.Id).DefaultIfEmpty()
                    orderby r.Position
                    select new Next(u.Id, u.UserName, s == null ? null : s.Email, s == null ? null : s.Phone))
                .FirstOrDefaultAsync(cancellationToken);
            if (next is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue; // the rota is exhausted: those told keep it in their inbox
            }
            var step = item.Step + 1;
            var escalation = new NotificationTrigger(item.Kind, item.IncidentId, item.DedupeKey,
                item.Title.StartsWith("Escalated: ", StringComparison.Ordinal) ? item.Title : "Escalated: " + item.Title,
                $"{item.Body} Nobody has acknowledged this for {options.Value.EscalateAfter.TotalMinutes:0} minutes; you are next on the rota.",
                item.Link, item.Urgent);
            // The per-person dedupe key: a step another node took at the same moment tells nobody twice.
            if (await NotificationFanOut.InsertOnceAsync(db, next.UserId, escalation, inApp: true, cancellationToken, escalationStep: step) is not { } id)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }
            var queued = 0;
            foreach (var (channel, contact) in new[] { (ChannelNames.Email, next.Email), (ChannelNames.Sms, next.Phone) })
            {
                if (contact is null || !channels.Any(c => c.Name == channel && c.IsConfigured))
                    continue;
                db.Deliveries.Add(new DeliveryRow { IncidentId = item.IncidentId, NotificationId = id, Channel = channel, IdempotencyKey = Guid.NewGuid() });
                queued++;
            }
            if (queued > 0)
                await db.SaveChangesAsync(cancellationToken);
            await EventLog.AppendAsync(db, Actor, item.IncidentId, new NotificationEscalated(item.Kind, item.Title, next.UserName, step, id), cancellationToken);
            await signals.AnnounceInboxAsync(db, [next.UserName], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            told++;
            hub.Changed([next.UserName]);
            if (queued > 0)
                deliveries.Notify();
        }
        return told;
    }
}
