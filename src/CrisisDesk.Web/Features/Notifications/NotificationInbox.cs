using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Nodes;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A notification in a person's inbox.</summary>
public sealed record InboxItem(long Id, int IncidentId, string Kind, string Title, string Body, string Link, bool Urgent,
    DateTime CreatedAt, DateTime? ReadAt, DateTime? AcknowledgedAt);

/// <summary>A notification that is not the person's, or not there.</summary>
public sealed class NotificationNotFoundException() : CommandException("That notification is not in your inbox.", StatusCodes.Status404NotFound);

/// <summary>A person's own inbox, as the bell and the inbox page use it.</summary>
public interface INotificationInbox
{
    Task<int> UnreadCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<InboxItem>> ListAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default);

    Task<int> MarkReadAsync(ClaimsPrincipal user, IReadOnlyList<long>? ids, CancellationToken cancellationToken = default);

    Task AcknowledgeAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken = default);
}

/// <summary>A person's own inbox: what they were told, marked read and acknowledged by them alone, each recorded in the log.</summary>
public sealed class NotificationInbox(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, NotificationHub hub, ClusterSignals signals) : INotificationInbox
{
    public const int PageSize = 100;

    public async Task<int> UnreadCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE lower(u.user_name) = lower(@name) AND n.read_at IS NULL
            """, new { name = user.Identity?.Name }, cancellationToken: cancellationToken));
    }

    /// <summary>The newest notifications first; in-app ones only (those sent by email or SMS alone are born read and shown too).</summary>
    public async Task<IReadOnlyList<InboxItem>> ListAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<InboxItem>(new CommandDefinition("""
            SELECT n.id, n.incident_id AS IncidentId, n.kind, n.title, n.body, n.link, n.urgent, n.created_at AS CreatedAt,
                   n.read_at AS ReadAt, n.acknowledged_at AS AcknowledgedAt
              FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE lower(u.user_name) = lower(@name)
             ORDER BY n.id DESC LIMIT @PageSize
            """, new { name = user.Identity?.Name, PageSize }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Marks the given notifications (or, with none given, all of the person's) read.</summary>
    public async Task<int> MarkReadAsync(ClaimsPrincipal user, IReadOnlyList<long>? ids, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Viewer, "mark notifications read", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = (await connection.QueryAsync<long>(new CommandDefinition("""
            UPDATE notifications n SET read_at = now() FROM users u
             WHERE u.id = n.user_id AND lower(u.user_name) = lower(@name) AND n.read_at IS NULL AND (@all OR n.id = ANY(@ids))
            RETURNING n.id
            """, new { name = user.Identity?.Name, all = ids is null, ids = ids?.ToArray() ?? [] }, transaction, cancellationToken: cancellationToken))).ToList();
        if (changed.Count > 0)
        {
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new NotificationRead(changed), cancellationToken);
            await signals.AnnounceInboxAsync(connection, transaction, [user.Identity!.Name!], cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        if (changed.Count > 0)
            hub.Changed([user.Identity!.Name!]);
        return changed.Count;
    }

    /// <summary>The person takes it on: read, acknowledged (which ends any escalation), and recorded in its incident's log.</summary>
    public async Task AcknowledgeAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Viewer, "acknowledge a notification", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(int IncidentId, string Kind, bool Already)?>(new CommandDefinition("""
            SELECT n.incident_id, n.kind, n.acknowledged_at IS NOT NULL FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE n.id = @id AND lower(u.user_name) = lower(@name) FOR UPDATE OF n
            """, new { id, name = user.Identity?.Name }, transaction, cancellationToken: cancellationToken))
            ?? throw new NotificationNotFoundException();
        if (!row.Already)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notifications SET acknowledged_at = now(), read_at = COALESCE(read_at, now()) WHERE id = @id",
                new { id }, transaction, cancellationToken: cancellationToken));
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), row.IncidentId, new NotificationAcknowledged(id, row.Kind), cancellationToken);
            await signals.AnnounceInboxAsync(connection, transaction, [user.Identity!.Name!], cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        hub.Changed([user.Identity!.Name!]);
    }
}
