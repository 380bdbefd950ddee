using CrisisDesk.Web.Features.Publishing;

namespace CrisisDesk.Web.Features.RecipientLists;

public static class RecipientListsHostingExtensions
{
    /// <summary>
    /// Email and SMS recipient lists and their two outbox channels, which send through the Notifications feature's
    /// SMTP and SMS settings (<c>CrisisDesk:Channels:Email</c>, <c>:Sms</c>). Call after <c>AddNotifications</c>.
    /// </summary>
    public static IHostApplicationBuilder AddRecipientLists(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<RecipientListCommands>();
        services.AddSingleton<ListReceipts>();
        services.AddSingleton<ListMessages>();
        services.AddSingleton<IDeliveryChannel, EmailListChannel>();
        services.AddSingleton<IDeliveryChannel, SmsListChannel>();
        return builder;
    }
}
