using System.Net;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Leases;
using CrisisDesk.Ingest.Classification;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.Feeds;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Ingest.Replay;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Ingest;

public static class IngestHostingExtensions
{
    /// <summary>
    /// Registers the pipeline, the live feed, the source monitor, the source kinds and the ingest host. With
    /// <paramref name="runSources"/> false (a web-only node) the host runs no source: the ingest nodes do.
    /// </summary>
    public static IHostApplicationBuilder AddCrisisDeskIngest(this IHostApplicationBuilder builder, bool runSources = true)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<LiveFeed>();
        services.AddSingleton<SourceMonitor>();
        services.AddSingleton(new IngestPipelineOptions());
        services.AddSingleton(sp => new StoryClusterStage(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        // The committed CrisisLexT26 models (tools/CrisisDesk.Training), loaded once per process.
        services.AddSingleton(_ => new PostClassificationStage(ClassificationModel.Bundled));
        services.AddSingleton(PostFormats.Default);
        services.AddSingleton<IngestPipeline>();
        services.AddSingleton(sp => ReplayFiles.FromConfiguration(sp.GetRequiredService<IConfiguration>(), sp.GetServices<BundledReplayFile>()));
        // CrisisDesk:Drill, bound here once: the replay's default pace, and whether the web opens a drill on first run.
        services.AddOptions<DrillOptions>().BindConfiguration(DrillOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ISourceFactory>(sp =>
        {
            var drill = sp.GetRequiredService<IOptions<DrillOptions>>().Value;
            return new ReplaySourceFactory(new ReplayPace(drill.Speed, TimeSpan.FromSeconds(drill.MaxGapSeconds)), sp.GetRequiredService<ReplayFiles>());
        });
        // Every outbound request of a source (feeds, the source test, the streams) connects only where the address
        // policy allows, checked on the connected address after DNS, and follows redirects only by hand (each hop checked).
        services.TryAddSingleton(sp => OutboundNetwork.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<SourceSecrets>();
        services.AddHttpClient(FeedKindFactory.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundNetwork>().CreateHandler(DecompressionMethods.All))
            .AddHttpMessageHandler(() => new RedirectHandler());
        // Streaming connectors read their credentials by name, and only from CrisisDesk:Secrets (user secrets or
        // environment in practice), so that a source's stored config can never point at another setting; each
        // credential goes only to the platform and hosts it is bound to (SourceSecrets).
        services.AddHttpClient(StreamingKindFactory.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundNetwork>().CreateHandler())
            .AddHttpMessageHandler(() => new RedirectHandler());
        services.AddSingleton(sp => new StreamingSourceFactory(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(StreamingKindFactory.HttpClientName),
            sp.GetRequiredService<SourceSecrets>().Find,
            webSockets: sp.GetRequiredService<OutboundNetwork>().CreateInvoker()));
        services.AddSingleton(sp => new StoredPostDirectory(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        foreach (var kind in StreamingSourceFactory.Kinds)
            services.AddSingleton<ISourceFactory>(sp => new StreamingKindFactory(kind, sp.GetRequiredService<StreamingSourceFactory>(), sp.GetRequiredService<StoredPostDirectory>()));
        foreach (var kind in FeedSourceFactory.Kinds)
            services.AddSingleton<ISourceFactory>(sp => new FeedKindFactory(kind, sp.GetRequiredService<IHttpClientFactory>()));
        services.AddOptions<IngestNodeOptions>().BindConfiguration(IngestNodeOptions.Section)
            .Validate(o => o.LeaseSeconds is >= 1 and <= 300, $"{IngestNodeOptions.Section}:LeaseSeconds must be between 1 and 300.")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var node = sp.GetRequiredService<IOptions<IngestNodeOptions>>().Value;
            return new IngestNodeSettings(runSources, node.Name is { Length: > 0 } name ? name : IngestNodeSettings.DefaultNodeName(),
                TimeSpan.FromSeconds(node.LeaseSeconds));
        });
        services.AddSingleton(sp => new SourceLeases(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        services.AddSingleton<IngestHost>();
        if (runSources)
            services.AddHostedService(sp => sp.GetRequiredService<IngestHost>());
        return builder;
    }
}
