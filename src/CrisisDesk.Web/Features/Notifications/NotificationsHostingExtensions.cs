using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CrisisDesk.Web.Features.Notifications;

public static class NotificationsHostingExtensions
{
    /// <summary>
    /// Notifications to people: the event-log notifier, the inbox, and the email and SMS channels of the publishing
    /// outbox (<c>CrisisDesk:Channels:Email</c>, <c>:Sms</c>). Call after <c>AddPublishing</c>.
    /// </summary>
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.SpikeCheckInterval > TimeSpan.Zero,
                "CrisisDesk:Notifications:PollInterval and :SpikeCheckInterval must be positive.")
            .Validate(o => o.EscalateAfter > TimeSpan.Zero && o.EscalationCheckInterval > TimeSpan.Zero,
                "CrisisDesk:Notifications:EscalateAfter and :EscalationCheckInterval must be positive.")
            .ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section)
            .Validate(o => !o.IsConfigured || o.Port is > 0 and <= 65535, "CrisisDesk:Channels:Email:Port must be a TCP port (587 for STARTTLS, 465 for TLS).")
            .Validate(o => !o.IsConfigured || (o.From is not null && Contacts.EmailProblem(o.From) is null),
                "CrisisDesk:Channels:Email:From must be the sender's email address (duty@example.gov).")
            .Validate(o => string.IsNullOrEmpty(o.UserName) || !string.IsNullOrEmpty(o.Password),
                "CrisisDesk:Channels:Email:Password is needed with a UserName.")
            .ValidateOnStart();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section)
            .Validate(o => !o.IsConfigured || (o.BaseUrl!.Scheme is "https" or "http" && !string.IsNullOrEmpty(o.AuthToken) && !string.IsNullOrEmpty(o.From)),
                "CrisisDesk:Channels:Sms needs an http(s) BaseUrl, AccountSid, AuthToken and From together.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => OutboundNetwork.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddHttpClient(TwilioSmsSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundNetwork>().CreateHandler())
            .AddHttpMessageHandler(() => new RedirectHandler());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<NotificationHub>();
        services.TryAddSingleton<Nodes.ClusterSignals>();
        services.AddSingleton<NotificationFanOut>();
        services.AddSingleton<NotificationMessages>();
        services.AddSingleton<NotificationSettingsStore>();
        services.AddSingleton<NotificationInbox>();
        services.AddSingleton<INotificationInbox>(sp => sp.GetRequiredService<NotificationInbox>());
        services.AddSingleton<ISmsSender, TwilioSmsSender>();
        services.AddSingleton<EmailChannel>();
        services.AddSingleton<IDeliveryChannel>(sp => sp.GetRequiredService<EmailChannel>());
        services.AddSingleton<IDeliveryChannel, SmsChannel>();
        services.AddHostedService<EventNotifier>();
        services.AddHostedService<SignalWatcher>();
        services.AddSingleton<EscalationRotas>();
        services.AddHostedService<EscalationWatcher>();
        return builder;
    }
}
