using CrisisDesk.Core.Alerts;
using CrisisDesk.Data.Domain;
using CrisisDesk.IntegrationTests.Notifications;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.RecipientLists;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.IntegrationTests.RecipientLists;

/// <summary>
/// The crash that lists add: the host stops while a list is half sent (the SMS provider and the SMTP server are each
/// holding the next message, unanswered). A new host on the same database goes on from there: every recipient ends
/// with exactly one message, nobody skipped and nobody twice.
/// </summary>
public sealed class ListCrashTests : IAsyncLifetime
{
    private const int People = 6;
    private readonly TestDatabase database = new();
    private FakeSmtpServer smtp = default!;
    private FakeTwilio twilio = default!;

    public async Task InitializeAsync()
    {
        await database.CreateAsync(migrate: true);
        smtp = FakeSmtpServer.Create();
        twilio = await FakeTwilio.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await smtp.DisposeAsync();
        await twilio.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>The outbox's dispatcher with the list channels, on the email and SMS settings of a real configuration.</summary>
    private IHost NewHost()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
            ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.100",
            ["CrisisDesk:Publishing:RetryBaseDelay"] = "00:00:00.010",
            ["CrisisDesk:Publishing:RedispatchDelay"] = "00:00:00.100",
            // A stopped host's claim runs out quickly, so the next host takes the delivery over within the test.
            ["CrisisDesk:Publishing:Lease"] = "00:00:01",
            ["CrisisDesk:Channels:Email:Host"] = "127.0.0.1",
            ["CrisisDesk:Channels:Email:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CrisisDesk:Channels:Email:Security"] = "None",
            ["CrisisDesk:Channels:Email:UserName"] = FakeSmtpServer.UserName,
            ["CrisisDesk:Channels:Email:Password"] = FakeSmtpServer.Password,
            ["CrisisDesk:Channels:Email:From"] = "duty@riverside.example.gov",
            ["CrisisDesk:Channels:Sms:BaseUrl"] = twilio.BaseUrl.ToString(),
            ["CrisisDesk:Channels:Sms:AccountSid"] = FakeTwilio.AccountSid,
            ["CrisisDesk:Channels:Sms:AuthToken"] = FakeTwilio.AuthToken,
            ["CrisisDesk:Channels:Sms:From"] = FakeTwilio.From,
        });
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddPooledDbContextFactory<CrisisDeskDbContext>(options => options.UseNpgsql(database.DataSource));
        builder.AddPublishing();
        // The two senders the Notifications feature owns, without its watchers.
        builder.Services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section);
        builder.Services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section);
        builder.Services.AddHttpClient(TwilioSmsSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<CrisisDesk.Ingest.Connectors.OutboundNetwork>().CreateHandler());
        builder.Services.AddSingleton<NotificationMessages>();
        builder.Services.AddSingleton<ISmsSender, TwilioSmsSender>();
        builder.Services.AddSingleton<EmailChannel>();
        builder.AddRecipientLists();
        return builder.Build();
    }

    private async Task<int> ApprovedAlertToListsAsync(string[] emails, string[] phones)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('List crash') RETURNING id");
        var alert = AlertSamples.Issued("list-crash-" + Guid.NewGuid().ToString("N")[..12]);
        var emailList = await connection.ExecuteScalarAsync<int>("INSERT INTO recipient_lists (name, kind) VALUES ('Residents', 'email') RETURNING id");
        var smsList = await connection.ExecuteScalarAsync<int>("INSERT INTO recipient_lists (name, kind) VALUES ('Residents', 'sms') RETURNING id");
        foreach (var email in emails)
            await connection.ExecuteAsync("INSERT INTO list_recipients (list_id, name, address) VALUES (@emailList, 'Resident', @email)", new { emailList, email });
        foreach (var phone in phones)
            await connection.ExecuteAsync("INSERT INTO list_recipients (list_id, name, address) VALUES (@smsList, 'Resident', @phone)", new { smsList, phone });
        var alertId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO alerts (incident_id, identifier, msg_type, cap_status, headline, cap_xml, state, author, editors, approver)
            VALUES (@incidentId, @identifier, 'Alert', 'Actual', 'Flood', @xml, 'approved', 'writer', ARRAY['writer'], 'approver') RETURNING id
            """, new { incidentId, identifier = alert.Identifier, xml = CapXml.Write(alert) });
        await using var db = new CrisisDeskDbContext(new DbContextOptionsBuilder<CrisisDeskDbContext>().UseNpgsql(database.DataSource).Options);
        await using var transaction = await db.Database.BeginTransactionAsync();
        await ListDeliveries.EnqueueAsync(db, incidentId, alertId, null, [emailList, smsList], CancellationToken.None);
        await transaction.CommitAsync();
        return alertId;
    }

    private async Task<Dictionary<string, (string Status, int Sent)>> StateAsync(int alertId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Channel, string Status, int Sent)>("""
            SELECT d.channel, d.status, (SELECT count(*)::int FROM delivery_recipients r WHERE r.delivery_id = d.id AND r.status = 'sent')
              FROM deliveries d WHERE d.alert_id = @alertId
            """, new { alertId })).ToDictionary(r => r.Channel, r => (r.Status, r.Sent));
    }

    [Fact]
    public async Task A_host_stopped_mid_list_and_started_again_gives_every_recipient_exactly_one_message()
    {
        var emails = Enumerable.Range(1, People).Select(i => $"resident{i}@riverside.example.gov").ToArray();
        var phones = Enumerable.Range(1, People).Select(i => $"+4477009000{i:00}").ToArray();
        var alertId = await ApprovedAlertToListsAsync(emails, phones);
        smtp.HoldAfterMessages = 2;
        twilio.HoldAfterAccepted = 3;

        var first = NewHost();
        await first.StartAsync();
        await Task.WhenAll(smtp.Holding.Task, twilio.Holding.Task).WaitAsync(TimeSpan.FromSeconds(30));
        await first.StopAsync();
        first.Dispose();

        // Stopped mid-list: the sent recipients are recorded, the rest wait; nothing was sent twice.
        var stopped = await StateAsync(alertId);
        Assert.Equal(("pending", 2), stopped["email-list"]);
        Assert.Equal(("pending", 3), stopped["sms-list"]);
        Assert.Equal(2, smtp.Messages.Count);
        Assert.Equal(3, twilio.Messages.Count);

        smtp.HoldAfterMessages = null;
        twilio.HoldAfterAccepted = null;
        using var second = NewHost();
        await second.StartAsync();
        await PublishingFactory.EventuallyAsync(async () => (await StateAsync(alertId)).Values.All(d => d.Status == "succeeded"), "both lists finished by the new host");
        await second.StopAsync();

        Assert.All(emails, e => Assert.Single(smtp.Messages, m => m.RcptTo.Contains(e)));
        Assert.Equal(People, smtp.Messages.Count);
        Assert.All(phones, p => Assert.Single(twilio.Messages, m => m.To == p));
        Assert.Equal(People, twilio.Messages.Count);
        var done = await StateAsync(alertId);
        Assert.Equal(("succeeded", People), done["email-list"]);
        Assert.Equal(("succeeded", People), done["sms-list"]);
    }

    [Fact]
    public async Task The_one_email_in_flight_when_the_host_stops_may_go_twice_as_the_same_message_and_nobody_else_does()
    {
        var emails = Enumerable.Range(1, People).Select(i => $"neighbour{i}@riverside.example.gov").ToArray();
        var alertId = await ApprovedAlertToListsAsync(emails, ["+447700900555"]);
        // The third message is accepted by the server, but its answer never comes: then the host stops.
        smtp.AcceptWithoutAnswerAt = 3;

        var first = NewHost();
        await first.StartAsync();
        await smtp.Holding.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await first.StopAsync();
        first.Dispose();
        Assert.Equal(("pending", 2), (await StateAsync(alertId))["email-list"]);

        smtp.AcceptWithoutAnswerAt = null;
        using var second = NewHost();
        await second.StartAsync();
        await PublishingFactory.EventuallyAsync(async () => (await StateAsync(alertId))["email-list"].Status == "succeeded", "the email list finished");
        await second.StopAsync();

        // docs/publishing.md: the person in flight "may have been sent" it; the resend carries the same Message-Id.
        var third = smtp.Messages.Where(m => m.RcptTo.Contains(emails[2])).ToList();
        Assert.Equal(2, third.Count);
        Assert.Single(third.Select(m => MessageId(m.Data)).Distinct());
        Assert.All(emails.Where(e => e != emails[2]), e => Assert.Single(smtp.Messages, m => m.RcptTo.Contains(e)));
        Assert.Equal(People, smtp.Messages.Select(m => MessageId(m.Data)).Distinct().Count());
    }

    private static string MessageId(string data) =>
        data.Split("\r\n").Single(l => l.StartsWith("Message-Id:", StringComparison.OrdinalIgnoreCase))[11..].Trim();
}
