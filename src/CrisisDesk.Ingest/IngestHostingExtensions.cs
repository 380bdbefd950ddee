using CrisisDesk.Core.Live;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Ingest.Replay;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.Ingest;

/// <summary>The drill replay's default pace, from <c>CrisisDesk:Drill</c>.</summary>
public static class IngestHostingExtensions
{
    /// <summary>Registers the pipeline, the live feed, the source monitor, the source kinds and the ingest host.</summary>
    public static IHostApplicationBuilder AddCrisisDeskIngest(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<LiveFeed>();
        services.AddSingleton<SourceMonitor>();
        services.AddSingleton(new IngestPipelineOptions());
        services.AddSingleton(sp => new StoryClusterStage(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        services.AddSingleton<IngestPipeline>();
        services.AddSingleton<ISourceFactory>(sp =>
        {
            var drill = sp.GetRequiredService<IConfiguration>().GetSection("CrisisDesk:Drill");
            var speed = drill.GetValue("Speed", 600d);
            var maxGap = drill.GetValue("MaxGapSeconds", 2d);
            return new ReplaySourceFactory(new ReplayPace(speed, TimeSpan.FromSeconds(maxGap)));
        });
        services.AddSingleton<IngestHost>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestHost>());
        return builder;
    }
}
