using CrisisDesk.Data;
using CrisisDesk.Data.Embedded;
using CrisisDesk.Ingest;
using CrisisDesk.Web;
using CrisisDesk.Web.Cli;
using CrisisDesk.Web.Features.Nodes;

// Command-line verbs (cap validate, probe, audit verify) run and exit without starting the web host.
if (CommandLine.TryRun(args, out var exitCode))
    return await exitCode;

var builder = WebApplication.CreateBuilder(args);
// Serve the MudBlazor and scoped-CSS assets from the build output in every environment, as `dotnet run` does in
// Development; after `dotnet publish` there is no runtime manifest and this does nothing.
builder.WebHost.UseStaticWebAssets();
var roles = builder.AddCrisisDesk();

try
{
    // Building the pipeline already resolves the data source (the antiforgery check reads the key ring from
    // PostgreSQL), so a database that cannot start is reported from here too.
    var app = builder.Build();
    app.MapCrisisDesk(roles);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is EmbeddedPostgresException || e.InnerException is EmbeddedPostgresException)
{
    await Console.Error.WriteLineAsync($"CrisisDesk cannot start its database: {(e as EmbeddedPostgresException ?? e.InnerException)!.Message}");
    return 2;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"CrisisDesk's configuration is not valid: {string.Join(" ", e.Failures)}");
    return 2;
}

/// <summary>The entry point, visible to the host tests.</summary>
public partial class Program;
