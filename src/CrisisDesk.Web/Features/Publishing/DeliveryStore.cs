using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>A delivery row as the dispatcher claims it, with the content it carries.</summary>
public sealed record ClaimedDelivery(
    long Id, int IncidentId, string Channel, Guid IdempotencyKey, int Attempts, DateTime CreatedAt,
    int? AlertId, string? AlertIdentifier, string? CapXml, int? RebuttalId, string? Variant, bool IsDrill, long? NotificationId = null);

/// <summary>A delivery as people see it.</summary>
public sealed record DeliveryView(long Id, string Channel, string Status, int Attempts, string? Receipt, string? LastError,
    DateTime CreatedAt, DateTime? DeliveredAt, DateTime NextAttemptAt, int? AlertId, int? RebuttalId, int? RecipientListId = null);

/// <summary>
/// The outbox table: rows are added in the same transaction as the approval that asks for them, claimed under a
/// lease by a dispatcher, and closed with a receipt (or a failure) together with their event.
/// </summary>
public class DeliveryStore(NpgsqlDataSource dataSource)
{
    public const string DispatcherActor = "dispatcher";

    protected NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Adds one pending delivery per channel inside the caller's transaction; returns their ids.</summary>
    public static async Task<IReadOnlyList<long>> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        int incidentId, int? alertId, int? rebuttalId, IEnumerable<string> channels)
    {
        var ids = new List<long>();
        foreach (var channel in channels.Distinct(StringComparer.Ordinal))
        {
            ids.Add(await connection.ExecuteScalarAsync<long>("""
                INSERT INTO deliveries (incident_id, alert_id, rebuttal_id, channel, idempotency_key)
                VALUES (@incidentId, @alertId, @rebuttalId, @channel, @key) RETURNING id
                """, new { incidentId, alertId, rebuttalId, channel, key = Guid.NewGuid() }, transaction));
        }
        return ids;
    }

    /// <summary>Takes up to <paramref name="max"/> due deliveries for <paramref name="lease"/>; a dispatcher that dies lets the lease run out.</summary>
    public virtual async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClaimedDelivery>(new CommandDefinition("""
            WITH claimed AS (
                UPDATE deliveries d SET lease_until = now() + @lease, attempts = attempts + 1, updated_at = now()
                 WHERE d.id IN (SELECT id FROM deliveries
                                 WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
                                 ORDER BY id FOR UPDATE SKIP LOCKED LIMIT @max)
                RETURNING d.*)
            SELECT c.id, c.incident_id AS IncidentId, c.channel, c.idempotency_key AS IdempotencyKey, c.attempts, c.created_at AS CreatedAt,
                   c.alert_id AS AlertId, a.identifier AS AlertIdentifier, a.cap_xml AS CapXml, c.rebuttal_id AS RebuttalId,
                   v.variants ->> (CASE c.channel WHEN 'x' THEN 'X' WHEN 'mastodon' THEN 'Mastodon' WHEN 'bluesky' THEN 'Bluesky' ELSE c.channel END) AS Variant,
                   i.is_drill AS IsDrill, c.notification_id AS NotificationId
              FROM claimed c
              JOIN incidents i ON i.id = c.incident_id
              LEFT JOIN alerts a ON a.id = c.alert_id
              LEFT JOIN rebuttals r ON r.id = c.rebuttal_id
              LEFT JOIN rebuttal_versions v ON v.rebuttal_id = r.id AND v.version = r.version
             ORDER BY c.id
            """, new { max, lease }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Closes the delivery with its receipt and appends <c>delivery.succeeded</c>, in one transaction.</summary>
    public virtual async Task RecordSucceededAsync(ClaimedDelivery delivery, string receipt, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync("""
            UPDATE deliveries SET status = 'succeeded', receipt = @receipt, delivered_at = now(), updated_at = now(), lease_until = NULL, last_error = NULL
             WHERE id = @id AND status = 'pending'
            """, new { id = delivery.Id, receipt }, transaction);
        if (changed == 1)
        {
            await EventLog.AppendAsync(connection, transaction, DispatcherActor, delivery.IncidentId,
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
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var used = await connection.ExecuteScalarAsync<int>("SELECT attempts - retry_base FROM deliveries WHERE id = @id FOR UPDATE", new { id = delivery.Id }, transaction);
        var final = permanent || used >= maxDispatches;
        var wait = TimeSpan.FromTicks(redispatchDelay.Ticks * (1L << Math.Clamp(used - 1, 0, 10)));
        await connection.ExecuteAsync("""
            UPDATE deliveries SET status = CASE WHEN @final THEN 'failed' ELSE 'pending' END, last_error = @error,
                   next_attempt_at = now() + @wait, lease_until = NULL, updated_at = now()
             WHERE id = @id AND status = 'pending'
            """, new { id = delivery.Id, error, final, wait }, transaction);
        if (final)
        {
            await EventLog.AppendAsync(connection, transaction, DispatcherActor, delivery.IncidentId,
                new DeliveryFailed(delivery.Id, delivery.Channel, error, permanent, delivery.Attempts, delivery.AlertId, delivery.RebuttalId),
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DeliveryView>> ListAsync(int? alertId, int? rebuttalId, CancellationToken cancellationToken = default)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DeliveryView>(new CommandDefinition("""
            SELECT id, channel, status, attempts, receipt, last_error AS LastError, created_at AS CreatedAt, delivered_at AS DeliveredAt,
                   next_attempt_at AS NextAttemptAt, alert_id AS AlertId, rebuttal_id AS RebuttalId, recipient_list_id AS RecipientListId
              FROM deliveries WHERE (@alertId::integer IS NOT NULL AND alert_id = @alertId) OR (@rebuttalId::integer IS NOT NULL AND rebuttal_id = @rebuttalId)
             ORDER BY id
            """, new { alertId, rebuttalId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }
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
