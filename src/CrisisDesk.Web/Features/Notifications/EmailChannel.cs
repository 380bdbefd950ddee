using System.Net;
using System.Net.Sockets;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Publishing;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>
/// Sends a notification by email over SMTP (MailKit): STARTTLS or TLS as configured, AUTH when a user name is set.
/// The Message-Id is the delivery's idempotency key, so a resend after a crash carries the same id and a mail
/// client shows it once. The server is reached under the outbound address policy, like every channel.
/// </summary>
public sealed class EmailChannel(IOptionsMonitor<EmailOptions> options, NotificationMessages messages, OutboundNetwork network) : IDeliveryChannel
{
    public string Name => ChannelNames.Email;

    public bool IsConfigured => options.CurrentValue.IsConfigured;

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var message = await messages.ForAsync(work, cancellationToken);
        if (string.IsNullOrWhiteSpace(message.Email))
            throw new PermanentDeliveryException("the person has no email address any more");
        if (Contacts.EmailProblem(message.Email) is { } problem)
            throw new PermanentDeliveryException(problem);
        var mime = Compose(settings, message, work);
        return await SendAsync(settings, mime, cancellationToken);
    }

    internal static MimeMessage Compose(EmailOptions settings, NotificationMessage message, DeliveryWork work)
    {
        var mime = new MimeMessage
        {
            Subject = (message.Urgent ? "[URGENT] " : "") + message.Title,
            MessageId = $"{work.IdempotencyKey:N}@crisisdesk",
            Body = new TextPart("plain") { Text = $"{message.Body}\n\nOpen it: {message.Link.AbsoluteUri}\n\n-- \nCrisisDesk. Change what you are told about in your notification settings.\n" },
        };
        mime.From.Add(new MailboxAddress(settings.FromName, settings.From ?? $"crisisdesk@{settings.Host}"));
        mime.To.Add(MailboxAddress.Parse(message.Email!));
        mime.Headers.Add("X-CrisisDesk-Delivery", work.IdempotencyKey.ToString());
        if (message.Urgent)
            mime.Priority = MessagePriority.Urgent;
        return mime;
    }

    /// <summary>Sends through the configured server; sorts its refusals into permanent (5xx) and transient (4xx, network).</summary>
    internal async Task<string> SendAsync(EmailOptions settings, MimeMessage mime, CancellationToken cancellationToken)
    {
        var where = $"the SMTP server {settings.Host}:{settings.Port}";
        using var client = new SmtpClient();
        try
        {
            var socket = await ConnectAsync(settings.Host!, settings.Port, cancellationToken);
            await client.ConnectAsync(socket, settings.Host!, settings.Port, settings.Security, cancellationToken);
            if (!string.IsNullOrEmpty(settings.UserName))
                await client.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
            var answer = await client.SendAsync(mime, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return $"{mime.MessageId} ({answer})";
        }
        catch (AuthenticationException e)
        {
            throw new PermanentDeliveryException($"{where} refused the user name or password: {e.Message}");
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
        {
            throw new PermanentDeliveryException($"{where} refused the message ({(int)e.StatusCode}): {e.Message}");
        }
        catch (SmtpCommandException e)
        {
            throw new TransientDeliveryException($"{where} answered {(int)e.StatusCode}: {e.Message}");
        }
        catch (Exception e) when (e is SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException or SslHandshakeException
                                         or OutboundAddressRefusedException)
        {
            throw new TransientDeliveryException($"{where} could not be reached: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            // For example STARTTLS required and the server does not offer it.
            throw new PermanentDeliveryException($"{where}: {e.Message}");
        }
    }

    private async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var permitted = addresses.Where(a => network.IsAllowed(host, a)).ToArray();
        if (permitted.Length == 0)
            throw new OutboundAddressRefusedException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(permitted, port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
