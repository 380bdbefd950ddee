using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>A notification as a channel sends it: to whom, what happened, and the absolute link to act on it.</summary>
public sealed record NotificationMessage(long Id, string Title, string Body, Uri Link, bool Urgent, string? Email, string? Phone)
{
    /// <summary>The SMS text: the title and the link, the title cut so that the whole fits in two segments.</summary>
    public string SmsText()
    {
        var link = Link.AbsoluteUri;
        var title = Title;
        for (var max = title.Length; max > 10; max -= 5)
        {
            var text = $"{(Urgent ? "URGENT " : "")}{EventNotifier.Shorten(title, max)} {link}";
            var length = ChannelText.Count(TextChannel.Sms, text);
            if (length.Segments is null or <= 2)
                return text;
        }
        return $"{EventNotifier.Shorten(title, 10)} {link}";
    }
}

/// <summary>Reads the notification a delivery carries, with the person's address and number as they are now.</summary>
public sealed class NotificationMessages(IDbContextFactory<CrisisDeskDbContext> contexts, Startup.PublicUrl publicUrl)
{
    private sealed record Row(long Id, string Title, string Body, string Link, bool Urgent, string? Email, string? Phone);

    // Compiled once: every email and SMS notification's dispatch reads it.
    private static readonly Func<CrisisDeskDbContext, long, CancellationToken, Task<Row?>> MessageQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, long id, CancellationToken _) =>
            (from n in db.Notifications.AsNoTracking()
             where n.Id == id
             from s in db.NotificationSettings.AsNoTracking().Where(s => s.UserId == n.UserId).DefaultIfEmpty()
             select new Row(n.Id, n.Title, n.Body, n.Link, n.Urgent, s == null ? null : s.Email, s == null ? null : s.Phone))
            .SingleOrDefault());

    public async Task<NotificationMessage> ForAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        if (work.NotificationId is not { } id)
            throw new PermanentDeliveryException($"{ChannelNames.Label(work.Channel)} sends notifications to people only; this delivery carries none");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await MessageQuery(db, id, cancellationToken)
            ?? throw new PermanentDeliveryException($"notification {id} no longer exists");
        return new NotificationMessage(row.Id, row.Title, row.Body, new Uri(publicUrl.Base, row.Link.TrimStart('/')), row.Urgent, row.Email, row.Phone);
    }
}
