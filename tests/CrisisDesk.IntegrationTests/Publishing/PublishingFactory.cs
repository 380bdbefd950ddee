using CrisisDesk.IntegrationTests.Support;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>The real host with every channel pointed at the in-test fake servers and a quick dispatcher.</summary>
public sealed class PublishingFactory : CrisisDeskFactory, IAsyncLifetime
{
    public FakeChannelServers Fakes { get; private set; } = default!;

    // The public address is https, so the sign-in cookie is Secure: the test clients call over https to get it back.
    public PublishingFactory() => ClientOptions.BaseAddress = new Uri("https://localhost/");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings.Concat(Fakes.ChannelSettings()).Concat(Fakes.ReplySecretSettings()))
    {
        ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
        ["CrisisDesk:Publishing:Sender"] = "alerts@riverside.example.gov",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.100",
        ["CrisisDesk:Publishing:RetryBaseDelay"] = "00:00:00.010",
        ["CrisisDesk:Publishing:RedispatchDelay"] = "00:00:00.100",
        ["CrisisDesk:Enquiries:ScanInterval"] = "00:00:00.100",
    };

    public new async Task InitializeAsync()
    {
        Fakes = await FakeChannelServers.StartAsync();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Fakes.DisposeAsync();
    }

    /// <summary>Waits (polling) until the condition holds; fails with <paramref name="what"/> if it never does.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }
        Assert.Fail("Never happened: " + what);
    }
}
