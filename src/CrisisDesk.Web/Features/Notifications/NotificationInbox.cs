using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Nodes;
using Microsoft.EntityFrameworkCore;

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
public sealed class NotificationInbox(IDbContextFactory<CrisisDeskDbContext> contexts, CommandAuthorizer authorizer, NotificationHub hub, ClusterSignals signals)
    : INotificationInbox
{
    public const int PageSize = 100;

    // Compiled once: the bell asks on every page and after every change. lower() on both sides, as users_user_name_key is.
    private static readonly Func<CrisisDeskDbContext, string, CancellationToken, Task<int>> UnreadQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, string name, CancellationToken _) =>
            db.Notifications.Count(n => n.ReadAt == null && db.Users.Any(u => u.Id == n.UserId && u.UserName.ToLower() == name.ToLower())));

    private static readonly Func<CrisisDeskDbContext, string, IAsyncEnumerable<InboxItem>> ListQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, string name) =>
            db.Notifications.AsNoTracking()
                .Where(n => db.Users.Any(u => u.Id == n.UserId && u.UserName.ToLower() == name.ToLower()))
                .OrderByDescending(n => n.Id)
                .Take(PageSize)
                .Select(n => new InboxItem(n.Id, n.IncidentId, n.Kind, n.Title, n.Body, n.Link, n.Urgent, n.CreatedAt, n.ReadAt, n.AcknowledgedAt)));

    public async Task<int> UnreadCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (user.Identity?.Name is not { } name)
            return 0;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await UnreadQuery(db, name, cancellationToken);
    }

    /// <summary>The newest notifications first; in-app ones only (those sent by email or SMS alone are born read and shown too).</summary>
    public async Task<IReadOnlyList<InboxItem>> ListAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (user.Identity?.Name is not { } name)
            return [];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var items = new List<InboxItem>();
        await foreach (var item in ListQuery(db, name).WithCancellation(cancellationToken))
            items.Add(item);
        return items;
    }

    /// <summary>Marks the given notifications (or, with none given, all of the person's) read.</summary>
    public async Task<int> MarkReadAsync(ClaimsPrincipal user, IReadOnlyList<long>? ids, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Viewer, "mark notifications read", null, cancellationToken);
        var name = user.Identity!.Name!;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked and re-checked unread after any wait: when two tabs mark the same ones read at once, each notification
        // is reported read by one of them only, as with the single UPDATE … RETURNING before.
        var changed = await NotificationLocks.LockUnreadAsync(db, name, ids?.ToArray(), cancellationToken);
        if (changed.Count > 0)
        {
            // ExecuteUpdate so read_at is the database's now(), as before.
            await db.Notifications.Where(n => changed.Contains(n.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, n => DateTime.UtcNow), cancellationToken);
            await EventLog.AppendAsync(db, user.ActorName(), null, new NotificationRead(changed), cancellationToken);
            await signals.AnnounceInboxAsync(db, [name], cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        if (changed.Count > 0)
            hub.Changed([name]);
        return changed.Count;
    }

    /// <summary>The person takes it on: read, acknowledged (which ends any escalation), and recorded in its incident's log.</summary>
    public async Task AcknowledgeAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Viewer, "acknowledge a notification", null, cancellationToken);
        var name = user.Identity!.Name!;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked: an acknowledgement racing another (two tabs) or an escalation step waits, then sees it acknowledged.
        var row = await NotificationLocks.LockOwnAsync(db, id, name, cancellationToken) ?? throw new NotificationNotFoundException();
        if (!row.Acknowledged)
        {
            await db.Notifications.Where(n => n.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(n => n.AcknowledgedAt, n => DateTime.UtcNow)
                .SetProperty(n => n.ReadAt, n => n.ReadAt ?? DateTime.UtcNow), cancellationToken);
            await EventLog.AppendAsync(db, user.ActorName(), row.IncidentId, new NotificationAcknowledged(id, row.Kind), cancellationToken);
            await signals.AnnounceInboxAsync(db, [name], cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        hub.Changed([name]);
    }
}
