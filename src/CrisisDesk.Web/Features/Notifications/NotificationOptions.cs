using MailKit.Security;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>How notifications are read from the event log (<c>CrisisDesk:Notifications</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "CrisisDesk:Notifications";

    /// <summary>How often the notifier reads the log when no activity wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every open incident is checked for a spike (the war room's detection, pages open or not).</summary>
    public TimeSpan SpikeCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An approval request or urgent notification nobody acknowledged this long goes to the next person on the rota.</summary>
    public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often overdue notifications are looked for.</summary>
    public TimeSpan EscalationCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The SMTP server notifications and email lists go through (<c>CrisisDesk:Channels:Email</c>). Without a host the
/// email channel is off. The password is a secret: configuration, user secrets or the environment only.
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "CrisisDesk:Channels:Email";

    public string? Host { get; set; }
    public int Port { get; set; } = 587;

    /// <summary><c>StartTls</c> (the default: refuse a server without it), <c>StartTlsWhenAvailable</c>, <c>SslOnConnect</c>, or <c>None</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Sign in to the server with these (AUTH); without a user name, no AUTH.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>The sender, for example <c>duty@riverside.gov.uk</c>.</summary>
    public string? From { get; set; }

    public string FromName { get; set; } = "CrisisDesk";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>
/// The SMS provider (<c>CrisisDesk:Channels:Sms</c>), spoken to in the Twilio Messages API's wire format, which
/// several providers accept. Without an account the SMS channel is off.
/// </summary>
public sealed class SmsOptions
{
    public const string Section = "CrisisDesk:Channels:Sms";

    /// <summary>https://api.twilio.com for Twilio; another provider's compatible root otherwise.</summary>
    public Uri? BaseUrl { get; set; }

    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }

    /// <summary>The sending number (E.164) or sender id.</summary>
    public string? From { get; set; }

    public bool IsConfigured => BaseUrl is not null && !string.IsNullOrWhiteSpace(AccountSid);
}
