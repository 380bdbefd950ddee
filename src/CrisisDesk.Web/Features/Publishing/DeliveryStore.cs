using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>A delivery as people see it.</summary>
public sealed record DeliveryView(long Id, string Channel, string Status, int Attempts, string? Receipt, string? LastError,
    DateTime CreatedAt, DateTime? DeliveredAt, DateTime NextAttemptAt, int? AlertId, int? RebuttalId, int? RecipientListId = null);

/// <summary>
/// The outbox table: rows are added in the same transaction as the approval that asks for them, claimed under a
/// lease by a dispatcher, and closed with a receipt (or a failure) together with their event. On the domain's
/// DbContext; every time written here is the database's <c>now()</c> (<c>DateTime.UtcNow</c> in an
/// <c>ExecuteUpdate</c>), the one clock the claim compares leases and due times with, whichever node wrote them.
/// </summary>
public class DeliveryStore(IDbContextFactory<CrisisDeskDbContext> contexts)
{
    public const string DispatcherActor = "dispatcher";

    protected IDbContextFactory<CrisisDeskDbContext> Contexts { get; } = contexts;

    /// <summary>Adds one pending delivery per channel inside the caller's transaction (its DbContext); returns their ids.</summary>
    /// <remarks>Saved at once: the caller's event names the new ids. Due now, attempts 0, times stamped by the database.</remarks>
    public static async Task<IReadOnlyList<long>> EnqueueAsync(CrisisDeskDbContext db,
        int incidentId, int? alertId, int? rebuttalId, IEnumerable<string> channels, CancellationToken cancellationToken)
    {
        var rows = channels.Distinct(StringComparer.Ordinal)
            .Select(channel => new DeliveryRow { IncidentId = incidentId, AlertId = alertId, RebuttalId = rebuttalId, Channel = channel, IdempotencyKey = Guid.NewGuid() })
            .ToList();
        db.Deliveries.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        return [.. rows.Select(r => r.Id)];
    }

    /// <summary>Takes up to <paramref name="max"/> due deliveries for <paramref name="lease"/>; a dispatcher that dies lets the lease run out.</summary>
    /// <remarks>Several nodes' dispatchers claim from one table: <see cref="DeliveryClaims.ClaimDueAsync"/> skips a row another node is claiming.</remarks>
    public virtual async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        return await DeliveryClaims.ClaimDueAsync(db, max, lease, cancellationToken);
    }

    /// <summary>Closes the delivery with its receipt and appends <c>delivery.succeeded</c>, in one transaction.</summary>
    public virtual async Task RecordSucceededAsync(ClaimedDelivery delivery, string receipt, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Only a delivery still pending is closed: one a person abandoned meanwhile stays abandoned, with no event.
        var changed = await db.Deliveries.Where(d => d.Id == delivery.Id && d.Status == "pending").ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, "succeeded")
            .SetProperty(d => d.Receipt, receipt)
            .SetProperty(d => d.DeliveredAt, d => DateTime.UtcNow)
            .SetProperty(d => d.UpdatedAt, d => DateTime.UtcNow)
            .SetProperty(d => d.LeaseUntil, (DateTime?)null)
            .SetProperty(d => d.LastError, (string?)null), cancellationToken);
        if (changed == 1)
        {
            await AppendAsync(db, delivery.IncidentId,
                new DeliverySucceeded(delivery.Id, delivery.Channel, receipt, delivery.AlertId, delivery.AlertIdentifier, delivery.RebuttalId, delivery.Attempts),
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// A dispatch failed. Permanent, or out of dispatches: the delivery is marked failed for a person (retry or
    /// abandon) and <c>delivery.failed</c> is appended. Otherwise it waits <paramref name="redispatchDelay"/>, doubled per dispatch.
    /// </summary>
    public virtual async Task RecordFailedAsync(ClaimedDelivery delivery, string error, bool permanent, int maxDispatches, TimeSpan redispatchDelay, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked: a person's retry of this row waits for our decision, so the dispatches counted here are the ones the
        // update below judges.
        var used = await DeliveryClaims.LockAsync(db, delivery.Id, cancellationToken) is { } row ? row.Attempts - row.RetryBase : 0;
        var final = permanent || used >= maxDispatches;
        var wait = TimeSpan.FromTicks(redispatchDelay.Ticks * (1L << Math.Clamp(used - 1, 0, 10)));
        await db.Deliveries.Where(d => d.Id == delivery.Id && d.Status == "pending").ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, final ? "failed" : "pending")
            .SetProperty(d => d.LastError, error)
            .SetProperty(d => d.NextAttemptAt, d => DateTime.UtcNow + wait)
            .SetProperty(d => d.LeaseUntil, (DateTime?)null)
            .SetProperty(d => d.UpdatedAt, d => DateTime.UtcNow), cancellationToken);
        if (final)
        {
            await AppendAsync(db, delivery.IncidentId,
                new DeliveryFailed(delivery.Id, delivery.Channel, error, permanent, delivery.Attempts, delivery.AlertId, delivery.RebuttalId),
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DeliveryView>> ListAsync(int? alertId, int? rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        return await db.Deliveries.AsNoTracking()
            .Where(d => (alertId != null && d.AlertId == alertId) || (rebuttalId != null && d.RebuttalId == rebuttalId))
            .OrderBy(d => d.Id)
            .Select(d => new DeliveryView(d.Id, d.Channel, d.Status, d.Attempts, d.Receipt, d.LastError, d.CreatedAt, d.DeliveredAt,
                d.NextAttemptAt, d.AlertId, d.RebuttalId, d.RecipientListId))
            .ToListAsync(cancellationToken);
    }

    private static Task<long> AppendAsync(CrisisDeskDbContext db, int incidentId, EventPayload payload, CancellationToken cancellationToken) =>
        EventLog.AppendAsync(db, DispatcherActor, incidentId, payload, cancellationToken);
}

/// <summary>Wakes the dispatcher as soon as a transaction has queued deliveries, instead of at its next poll.</summary>
public sealed class DeliverySignal
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Notify()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every queued delivery.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);
}
