using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

public static class NodesHostingExtensions
{
    /// <summary>
    /// Reads this node's roles (<c>CrisisDesk:Roles</c>) for the registrations that depend on them, and registers the
    /// setting's check at start: a value that is not understood stops the node with the reason.
    /// </summary>
    public static NodeRoles AddNodeRoles(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<NodeRolesOptions>, NodeRolesValidation>();
        builder.Services.AddOptions<NodeRolesOptions>().BindConfiguration(NodeRolesOptions.Section).ValidateOnStart();
        var roles = NodeRoles.Parse(builder.Configuration[NodeRoles.Key], out _);
        builder.Services.AddSingleton(roles);
        return roles;
    }

    /// <summary>
    /// The feed hub on the ingest role (with its broadcaster); on a web-only node, the subscriber that feeds the war room
    /// from an ingest node's hub. Both roles in one process keep the in-process path: the war room reads the pipeline's
    /// own live feed, with no network hop, and the hub still serves outside subscribers.
    /// </summary>
    public static IHostApplicationBuilder AddNodes(this IHostApplicationBuilder builder, NodeRoles roles)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<FeedHubOptions>, FeedHubOptionsValidation>();
        services.AddOptions<FeedHubOptions>().BindConfiguration(FeedHubOptions.Section).ValidateOnStart();
        SharedKeyRing.AddTo(services);
        services.AddMetrics();
        services.AddSingleton<NodeMetrics>();
        services.AddNodeHealthChecks(roles);
        builder.AddNodeTelemetry();
        services.AddSingleton<FeedCatchUp>();
        services.AddSingleton<FeedSubscribers>();
        services.AddSingleton<IFeedTokenResolver>(sp => sp.GetRequiredService<FeedSubscribers>());
        services.AddSingleton<FeedConnections>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, FeedTokenHandler>(FeedToken.Scheme, null);
        services.AddAuthorizationBuilder().AddPolicy(FeedToken.Policy, p => p.AddAuthenticationSchemes(FeedToken.Scheme).RequireAuthenticatedUser().RequireClaim(FeedToken.IncidentClaim));
        // Live signals between nodes over PostgreSQL NOTIFY: every node sends its operators' actions; web nodes listen.
        services.TryAddSingleton<ClusterSignals>();
        services.AddSingleton<ActivityRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<ActivityRelay>());
        if (roles.Web)
        {
            services.AddSingleton<ClusterListener>();
            services.AddHostedService(sp => sp.GetRequiredService<ClusterListener>());
        }
        if (roles.Ingest)
        {
            var signalR = services.AddSignalR();
            // With several ingest nodes, one Redis carries every node's batches to every node's hub connections, so a
            // subscriber connected to any ingest node receives every incident it follows.
            if (builder.Configuration[FeedHubOptions.RedisKey] is { Length: > 0 } redis)
                signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("crisisdesk"));
            services.AddHostedService<FeedBroadcaster>();
            services.AddHostedService<FeedRevocationWatch>();
        }
        if (roles.WebOnly)
        {
            services.AddSingleton<FeedFollower>();
            services.AddHostedService(sp => sp.GetRequiredService<FeedFollower>());
        }
        return builder;
    }

    /// <summary>Readiness and liveness, metrics when asked for, and the feed hub on the ingest role.</summary>
    public static IEndpointRouteBuilder MapNodeEndpoints(this IEndpointRouteBuilder endpoints, NodeRoles roles)
    {
        endpoints.MapNodeHealth();
        endpoints.MapNodeTelemetry();
        if (roles.Ingest)
            endpoints.MapHub<FeedHub>(FeedHub.Path);
        return endpoints;
    }
}
