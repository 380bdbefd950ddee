using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>A delivery command that does not apply to the delivery as it stands.</summary>
public sealed class DeliveryStateException(string message) : CommandException(message, StatusCodes.Status409Conflict);

/// <summary>
/// What people do to deliveries: send a failed one again, or give one up. Each runs through <see cref="CommandRunner"/>:
/// the delivery read and locked in the command's transaction, authorised for its incident, its status checked, changed,
/// and its event appended in that same transaction.
/// </summary>
public sealed class DeliveryCommands(CommandRunner commands, DeliverySignal signal)
{
    /// <summary>Sends a failed delivery again with the same idempotency key (Operator).</summary>
    public async Task RetryAsync(ClaimsPrincipal user, long deliveryId, CancellationToken cancellationToken = default)
    {
        await ChangeAsync(user, "retry a delivery", deliveryId, ["failed"], "Only a failed delivery can be retried.",
            (deliveries, token) => deliveries.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, "pending")
                .SetProperty(d => d.NextAttemptAt, d => DateTime.UtcNow)
                .SetProperty(d => d.RetryBase, d => d.Attempts)
                .SetProperty(d => d.LeaseUntil, (DateTime?)null)
                .SetProperty(d => d.UpdatedAt, d => DateTime.UtcNow), token),
            channel => new DeliveryRetried(deliveryId, channel), cancellationToken);
        signal.Notify();
    }

    /// <summary>Stops trying a pending or failed delivery (Operator).</summary>
    public Task AbandonAsync(ClaimsPrincipal user, long deliveryId, CancellationToken cancellationToken = default) =>
        ChangeAsync(user, "abandon a delivery", deliveryId, ["pending", "failed"], "Only a pending or failed delivery can be abandoned.",
            (deliveries, token) => deliveries.ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, "abandoned")
                .SetProperty(d => d.LeaseUntil, (DateTime?)null)
                .SetProperty(d => d.UpdatedAt, d => DateTime.UtcNow), token),
            channel => new DeliveryAbandoned(deliveryId, channel), cancellationToken);

    /// <remarks>
    /// The row is read <c>FOR UPDATE</c> because deliveries carry no xmin token and the dispatcher closes the same row
    /// from another connection: the lock makes the status check and the change one step, as the conditional UPDATE
    /// did before (an abandon can never land over a success the dispatcher recorded meanwhile). The change is an
    /// <c>ExecuteUpdate</c> so its times are the database's <c>now()</c>, the clock the dispatcher's claim compares with.
    /// A missing delivery is refused with the same words and status as one in the wrong state, as before.
    /// </remarks>
    private async Task ChangeAsync(ClaimsPrincipal user, string what, long deliveryId, string[] allowedFrom, string refusal,
        Func<IQueryable<DeliveryRow>, CancellationToken, Task<int>> change, Func<string, EventPayload> recorded, CancellationToken cancellationToken)
    {
        await commands.RunOnAsync(user, Policies.Operator, what,
            (db, token) => DeliveryClaims.LockAsync(db, deliveryId, token),
            d => d.IncidentId, () => new DeliveryStateException(refusal),
            async (command, delivery) =>
            {
                if (!allowedFrom.Contains(delivery.Status, StringComparer.Ordinal))
                    throw new DeliveryStateException(refusal);
                await change(command.Db.Deliveries.Where(d => d.Id == deliveryId), command.CancellationToken);
                return await command.RecordAsync(delivery.IncidentId, recorded(delivery.Channel));
            }, cancellationToken);
    }
}
