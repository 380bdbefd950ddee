using System.Security.Claims;
using CrisisDesk.Web.Features.Notifications;

namespace CrisisDesk.ComponentTests.Notifications;

/// <summary>An inbox held in memory: the bell's logic is tested without a database (the SQL has its integration tests).</summary>
internal sealed class FakeInbox : INotificationInbox
{
    public List<InboxItem> Items { get; } = [];

    public Task<int> UnreadCountAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default) =>
        Task.FromResult(Items.Count(i => i.ReadAt is null));

    public Task<IReadOnlyList<InboxItem>> ListAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<InboxItem>>([.. Items.OrderByDescending(i => i.Id)]);

    public Task<int> MarkReadAsync(ClaimsPrincipal user, IReadOnlyList<long>? ids, CancellationToken cancellationToken = default)
    {
        var marked = 0;
        for (var i = 0; i < Items.Count; i++)
        {
            if (Items[i].ReadAt is null && (ids is null || ids.Contains(Items[i].Id)))
            {
                Items[i] = Items[i] with { ReadAt = DateTime.UtcNow };
                marked++;
            }
        }
        return Task.FromResult(marked);
    }

    public Task AcknowledgeAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken = default)
    {
        var index = Items.FindIndex(i => i.Id == id);
        Items[index] = Items[index] with { ReadAt = DateTime.UtcNow, AcknowledgedAt = DateTime.UtcNow };
        return Task.CompletedTask;
    }

    public static InboxItem Item(long id, string title) =>
        new(id, 1, NotificationKinds.Approval, title, "Someone submitted it.", $"/incidents/1/alerts/{id}", false, DateTime.UtcNow, null, null);
}
