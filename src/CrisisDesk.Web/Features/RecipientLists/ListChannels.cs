using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.Extensions.Options;
using MimeKit;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>
/// Sends a list delivery recipient by recipient, recording each one as it goes (<see cref="ListReceipts"/>), so that
/// a dispatch that dies or is retried goes on where it stopped. A transient failure (SMTP 4xx, SMS 429/5xx, network)
/// puts the recipient back and fails the dispatch, which the dispatcher retries; a recipient refused for good is
/// marked failed and the list goes on; the delivery then fails with who was refused, for a person to retry.
/// </summary>
public abstract class ListChannel(ListReceipts receipts, ListMessages messages, IOptions<PublishingOptions> publishing) : IDeliveryChannel
{
    public abstract string Name { get; }

    public abstract bool IsConfigured { get; }

    protected abstract Task<string> SendOneAsync(ClaimedListRecipient recipient, ListMessage message, CancellationToken cancellationToken);

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var message = await messages.ForAsync(work, cancellationToken);
        var tried = new List<int>();
        while (await receipts.ClaimNextAsync(work.Id, publishing.Value.Lease, tried, cancellationToken) is { } recipient)
        {
            tried.Add(recipient.Position);
            string receipt;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(publishing.Value.AttemptTimeout);
            try
            {
                receipt = await SendOneAsync(recipient, message, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = $"{recipient.Address}: no answer within {publishing.Value.AttemptTimeout.TotalSeconds:0.#} s";
                await receipts.NotSentAsync(recipient, reason, permanent: false, cancellationToken);
                throw new TransientDeliveryException(reason);
            }
            catch (PermanentDeliveryException e)
            {
                await receipts.NotSentAsync(recipient, e.Message, permanent: true, cancellationToken);
                continue;
            }
            catch (Exception e)
            {
                // Transient, cancelled or unknown: the recipient goes back to the list, the dispatcher decides what next.
                await receipts.NotSentAsync(recipient, e.Message, permanent: false, cancellationToken);
                throw;
            }
            await receipts.SentAsync(recipient, receipt, cancellationToken);
        }
        var progress = await receipts.ProgressAsync(work.Id, cancellationToken);
        if (progress.Sent + progress.Failed < progress.Total)
        {
            // Another dispatcher (this delivery's lease ran out while a long list was going) still holds some.
            throw new TransientDeliveryException($"sent {progress.Sent} of {progress.Total}; the rest are still being sent");
        }
        if (progress.Failed > 0)
        {
            throw new PermanentDeliveryException($"sent {progress.Sent} of {progress.Total}; refused for {progress.Failed}: "
                + string.Join("; ", progress.FailedRecipients.Take(5)) + (progress.Failed > 5 ? "; …" : ""));
        }
        return $"sent {progress.Sent} of {progress.Total}";
    }
}

/// <summary>An email list: one message per recipient (never a Bcc blast), its Message-Id the recipient's own stable key.</summary>
public sealed class EmailListChannel(
    ListReceipts receipts, ListMessages messages, IOptions<PublishingOptions> publishing, IOptionsMonitor<EmailOptions> email, EmailChannel smtp)
    : ListChannel(receipts, messages, publishing)
{
    public override string Name => ChannelNames.EmailList;

    public override bool IsConfigured => email.CurrentValue.IsConfigured;

    protected override async Task<string> SendOneAsync(ClaimedListRecipient recipient, ListMessage message, CancellationToken cancellationToken)
    {
        var settings = email.CurrentValue;
        var mime = new MimeMessage
        {
            Subject = message.Subject,
            MessageId = $"{recipient.IdempotencyKey:N}@crisisdesk",
            Body = new TextPart("plain") { Text = message.EmailBody + "\n-- \nYou are on this list because your organisation put you on it. Ask them to take you off.\n" },
        };
        mime.From.Add(new MailboxAddress(settings.FromName, settings.From ?? $"crisisdesk@{settings.Host}"));
        mime.To.Add(new MailboxAddress(recipient.Name, recipient.Address));
        mime.Headers.Add("X-CrisisDesk-Delivery", recipient.IdempotencyKey.ToString());
        return await smtp.SendAsync(settings, mime, cancellationToken);
    }
}

/// <summary>An SMS list: the message's SMS text to each number, through the configured provider.</summary>
public sealed class SmsListChannel(ListReceipts receipts, ListMessages messages, IOptions<PublishingOptions> publishing, ISmsSender sender)
    : ListChannel(receipts, messages, publishing)
{
    public override string Name => ChannelNames.SmsList;

    public override bool IsConfigured => sender.IsConfigured;

    protected override Task<string> SendOneAsync(ClaimedListRecipient recipient, ListMessage message, CancellationToken cancellationToken) =>
        message.SmsText.Length == 0
            ? throw new PermanentDeliveryException("this rebuttal has no SMS text")
            : sender.SendAsync(recipient.Address, message.SmsText, cancellationToken);
}
