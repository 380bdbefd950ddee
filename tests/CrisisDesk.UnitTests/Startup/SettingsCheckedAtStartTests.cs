using System.Reflection;
using CrisisDesk.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrisisDesk.UnitTests.Startup;

/// <summary>
/// Every settings section is bound once and checked when the host starts (<c>ValidateOnStart</c>): a bad value stops
/// CrisisDesk at start with a message naming the setting, never later in an incident. The host is composed as Program
/// composes it (<see cref="CrisisDeskWebExtensions.AddCrisisDesk"/>) and its start-up check run, without a database.
/// </summary>
public sealed class SettingsCheckedAtStartTests
{
    private static IServiceProvider Compose(params string[] settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. settings.Select(s => $"--{s}")] });
        builder.AddCrisisDesk();
        return builder.Services.BuildServiceProvider();
    }

    private static void CheckAtStart(IServiceProvider services) => services.GetRequiredService<IStartupValidator>().Validate();

    [Fact]
    public void The_defaults_pass() => CheckAtStart(Compose());

    [Theory]
    [InlineData("CrisisDesk:Drill:Speed=0", "Speed")]
    [InlineData("CrisisDesk:Drill:MaxGapSeconds=-1", "MaxGapSeconds")]
    [InlineData("CrisisDesk:Channels:Mastodon:BaseUrl=https://mastodon.example", "CrisisDesk:Channels:Mastodon is half set: Mastodon:AccessToken missing")]
    [InlineData("CrisisDesk:Channels:Bluesky:Identifier=comms.example.gov", "Bluesky:ServiceUrl and Bluesky:AppPassword missing")]
    [InlineData("CrisisDesk:Channels:Mastodon:Visibility=everyone", "CrisisDesk:Channels:Mastodon:Visibility must be one of")]
    [InlineData("CrisisDesk:Channels:Webhook:Url=ftp://hooks.example/cap", "CrisisDesk:Channels:Webhook:Url must be an absolute http(s) address")]
    [InlineData("CrisisDesk:Publishing:Sender=comms desk", "CrisisDesk:Publishing:Sender")]
    [InlineData("CrisisDesk:Login:AttemptsPerMinute=0", "CrisisDesk:Login:AttemptsPerMinute")]
    [InlineData("CrisisDesk:Notifications:PollInterval=00:00:00", "CrisisDesk:Notifications:PollInterval")]
    [InlineData("CrisisDesk:Enquiries:BatchSize=0", "CrisisDesk:Enquiries:ScanInterval and BatchSize")]
    [InlineData("CrisisDesk:Nodes:LeaseSeconds=0", "CrisisDesk:Nodes:LeaseSeconds")]
    [InlineData("CrisisDesk:Admin:Password=short", "CrisisDesk:Admin:Password")]
    [InlineData("CrisisDesk:Telemetry:LogFormat=xml", "LogFormat must be auto, json or text")]
    [InlineData("CrisisDesk:DataDirectory=relative/dir", "CrisisDesk:DataDirectory must be an absolute path")]
    public void A_bad_value_stops_the_start_naming_the_setting(string setting, string expected)
    {
        var services = Compose(setting);
        var refusal = Assert.Throws<OptionsValidationException>(() => CheckAtStart(services));
        Assert.Contains(expected, string.Join(" ", refusal.Failures), StringComparison.Ordinal);
    }

    /// <summary>
    /// Every settings class of CrisisDesk (one with a <c>Section</c>) has a check registered: a new section without one
    /// fails here, so "checked at start" stays true as sections are added.
    /// </summary>
    [Fact]
    public void Every_settings_section_has_a_check()
    {
        var services = Compose();
        var sections = new[] { typeof(CrisisDeskWebExtensions), typeof(CrisisDesk.Ingest.IngestHostingExtensions), typeof(CrisisDesk.Data.CrisisDeskDataOptions) }
            .SelectMany(t => t.Assembly.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.Name.EndsWith("Options", StringComparison.Ordinal)
                        && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .ToList();
        Assert.NotEmpty(sections);
        var unchecked_ = sections.Where(t => !services.GetServices(typeof(IValidateOptions<>).MakeGenericType(t)).Any()).Select(t => t.FullName).ToList();
        Assert.True(unchecked_.Count == 0, "Settings sections bound without a check at start: " + string.Join(", ", unchecked_));
    }
}
