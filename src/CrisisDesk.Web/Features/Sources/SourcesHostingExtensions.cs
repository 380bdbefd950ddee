namespace CrisisDesk.Web.Features.Sources;

public static class SourcesHostingExtensions
{
    /// <summary>Registers source management: the commands, the tester and the settings checks.</summary>
    public static IHostApplicationBuilder AddSources(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SourceCommands>();
        builder.Services.AddSingleton<SourceTester>();
        return builder;
    }
}
