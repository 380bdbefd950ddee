using CrisisDesk.Ingest.Replay;
using CrisisDesk.Web.Features.Drill;

namespace CrisisDesk.Web.Features.Sources;

public static class SourcesHostingExtensions
{
    /// <summary>Registers source management: the commands, the tester and the settings checks.</summary>
    public static IHostApplicationBuilder AddSources(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SourceCommands>();
        builder.Services.AddSingleton<SourceTester>();
        builder.Services.AddSingleton<ReplayFileImport>();
        // The drill's data set ships with CrisisDesk: the one replay file allowed outside the import directory.
        builder.Services.AddSingleton(new BundledReplayFile(DrillDataSet.Germanwings.RelativePath));
        return builder;
    }
}
