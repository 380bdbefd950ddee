using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Publishing;
using Dapper;
using Npgsql;

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
public sealed class NotificationMessages(NpgsqlDataSource dataSource, Startup.PublicUrl publicUrl)
{
    private sealed record Row(long Id, string Title, string Body, string Link, bool Urgent, string? Email, string? Phone);

    public async Task<NotificationMessage> ForAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        if (work.NotificationId is not { } id)
            throw new PermanentDeliveryException($"{ChannelNames.Label(work.Channel)} sends notifications to people only; this delivery carries none");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition("""
            SELECT n.id, n.title, n.body, n.link, n.urgent, s.email, s.phone
              FROM notifications n LEFT JOIN notification_settings s ON s.user_id = n.user_id WHERE n.id = @id
            """, new { id }, cancellationToken: cancellationToken))
            ?? throw new PermanentDeliveryException($"notification {id} no longer exists");
        return new NotificationMessage(row.Id, row.Title, row.Body, new Uri(publicUrl.Base, row.Link.TrimStart('/')), row.Urgent, row.Email, row.Phone);
    }
}
