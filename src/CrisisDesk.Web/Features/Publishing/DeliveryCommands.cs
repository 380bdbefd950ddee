using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>A delivery command that does not apply to the delivery as it stands.</summary>
public sealed class DeliveryStateException(string message) : CommandException(message, StatusCodes.Status409Conflict);

/// <summary>What people do to deliveries: send a failed one again, or give one up.</summary>
public sealed class DeliveryCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, DeliverySignal signal)
{
    /// <summary>Sends a failed delivery again with the same idempotency key (Operator).</summary>
    public async Task RetryAsync(ClaimsPrincipal user, long deliveryId, CancellationToken cancellationToken = default)
    {
        var incidentId = await IncidentOfAsync(deliveryId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "retry a delivery", incidentId, cancellationToken);
        await ChangeAsync(user, deliveryId, incidentId, channel => new DeliveryRetried(deliveryId, channel), """
            UPDATE deliveries SET status = 'pending', next_attempt_at = now(), retry_base = attempts, lease_until = NULL, updated_at = now()
             WHERE id = @deliveryId AND status = 'failed' RETURNING channel
            """, "Only a failed delivery can be retried.", cancellationToken);
        signal.Notify();
    }

    /// <summary>Stops trying a pending or failed delivery (Operator).</summary>
    public async Task AbandonAsync(ClaimsPrincipal user, long deliveryId, CancellationToken cancellationToken = default)
    {
        var incidentId = await IncidentOfAsync(deliveryId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "abandon a delivery", incidentId, cancellationToken);
        await ChangeAsync(user, deliveryId, incidentId, channel => new DeliveryAbandoned(deliveryId, channel), """
            UPDATE deliveries SET status = 'abandoned', lease_until = NULL, updated_at = now()
             WHERE id = @deliveryId AND status IN ('pending', 'failed') RETURNING channel
            """, "Only a pending or failed delivery can be abandoned.", cancellationToken);
    }

    private async Task<int?> IncidentOfAsync(long deliveryId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>("SELECT incident_id FROM deliveries WHERE id = @deliveryId", new { deliveryId });
    }

    private async Task ChangeAsync(ClaimsPrincipal user, long deliveryId, int? incidentId, Func<string, EventPayload> recorded, string sql, string refusal, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var channel = await connection.ExecuteScalarAsync<string?>(sql, new { deliveryId }, transaction)
            ?? throw new DeliveryStateException(refusal);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId, recorded(channel), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
