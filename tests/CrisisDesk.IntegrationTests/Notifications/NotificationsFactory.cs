using CrisisDesk.IntegrationTests.Support;

namespace CrisisDesk.IntegrationTests.Notifications;

/// <summary>The real host with email through the in-test SMTP server, SMS through the fake Twilio, and quick workers.</summary>
public sealed class NotificationsFactory : CrisisDeskFactory, IAsyncLifetime
{
    public FakeSmtpServer Smtp { get; private set; } = default!;
    public FakeTwilio Twilio { get; private set; } = default!;

    // https public address, so the sign-in cookie is Secure: the test clients call over https to get it back.
    public NotificationsFactory() => ClientOptions.BaseAddress = new Uri("https://localhost/");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
        ["CrisisDesk:Publishing:Sender"] = "alerts@riverside.example.gov",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.100",
        ["CrisisDesk:Publishing:RetryBaseDelay"] = "00:00:00.010",
        ["CrisisDesk:Publishing:RedispatchDelay"] = "00:00:00.100",
        ["CrisisDesk:Publishing:AttemptTimeout"] = "00:00:05",
        // The unreachable-server test trips the email circuit: it must not stay open for the tests after it.
        ["CrisisDesk:Publishing:CircuitBreakDuration"] = "00:00:00.500",
        ["CrisisDesk:Notifications:PollInterval"] = "00:00:00.100",
        ["CrisisDesk:Notifications:SpikeCheckInterval"] = "00:00:00.200",
        ["CrisisDesk:Notifications:EscalateAfter"] = "00:00:02",
        ["CrisisDesk:Notifications:EscalationCheckInterval"] = "00:00:00.200",
        ["CrisisDesk:Channels:Email:Host"] = "127.0.0.1",
        ["CrisisDesk:Channels:Email:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // The in-test server speaks plain SMTP; production keeps the default, StartTls.
        ["CrisisDesk:Channels:Email:Security"] = "None",
        ["CrisisDesk:Channels:Email:UserName"] = FakeSmtpServer.UserName,
        ["CrisisDesk:Channels:Email:Password"] = FakeSmtpServer.Password,
        ["CrisisDesk:Channels:Email:From"] = "duty@riverside.example.gov",
        ["CrisisDesk:Channels:Sms:BaseUrl"] = Twilio.BaseUrl.ToString(),
        ["CrisisDesk:Channels:Sms:AccountSid"] = FakeTwilio.AccountSid,
        ["CrisisDesk:Channels:Sms:AuthToken"] = FakeTwilio.AuthToken,
        ["CrisisDesk:Channels:Sms:From"] = FakeTwilio.From,
    };

    public new async Task InitializeAsync()
    {
        Smtp = FakeSmtpServer.Create();
        Twilio = await FakeTwilio.StartAsync();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
