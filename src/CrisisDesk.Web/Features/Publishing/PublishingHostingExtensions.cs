using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Startup;

namespace CrisisDesk.Web.Features.Publishing;

public static class PublishingHostingExtensions
{
    /// <summary>The outbox, its dispatcher and the channels (each configured under <c>CrisisDesk:Channels</c>).</summary>
    public static IHostApplicationBuilder AddPublishing(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PublishingOptions>().BindConfiguration(PublishingOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Sender) && !o.Sender.Any(c => char.IsWhiteSpace(c) || c is ',' or '<' or '&'),
                "CrisisDesk:Publishing:Sender must be a CAP sender id: no spaces, commas, '<' or '&'.")
            .ValidateOnStart();
        services.AddOptions<ChannelOptions>().BindConfiguration(ChannelOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChannelOptions>, ChannelOptionsValidation>();
        services.AddPublicAddress();
        services.AddHttpClient();
        // The channels' addresses come from configuration: they connect under the same outbound address policy as
        // sources (no loopback, private or metadata address unless CrisisDesk:Network:AllowedHosts allows it).
        services.TryAddSingleton(sp => OutboundNetwork.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        foreach (var channel in new[] { ChannelNames.Webhook, ChannelNames.Mastodon, ChannelNames.X, ChannelNames.Bluesky })
        {
            services.AddHttpClient(channel)
                .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundNetwork>().CreateHandler())
                .AddHttpMessageHandler(() => new RedirectHandler());
        }
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<DeliveryCommands>();
        services.AddSingleton<IDeliveryChannel, CapFeedChannel>();
        services.AddSingleton<IDeliveryChannel, WebhookChannel>();
        services.AddSingleton<IDeliveryChannel, MastodonChannel>();
        services.AddSingleton<IDeliveryChannel, XChannel>();
        services.AddSingleton<IDeliveryChannel, BlueskyChannel>();
        services.AddSingleton<ConfiguredChannels>();
        services.AddHostedService<DeliveryDispatcher>();
        return builder;
    }
}

/// <summary>Which channels are switched on now, for the commands that fill the outbox.</summary>
public sealed class ConfiguredChannels(IEnumerable<IDeliveryChannel> channels)
{
    public IReadOnlyList<string> ForAlerts() =>
        [.. ChannelNames.ForAlerts.Where(name => channels.Any(c => c.Name == name && c.IsConfigured))];

    public IReadOnlyList<string> Social() =>
        [.. ChannelNames.Social.Where(name => channels.Any(c => c.Name == name && c.IsConfigured))];
}
