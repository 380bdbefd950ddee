using CrisisDesk.Core.Alerts;
using CrisisDesk.Data.Domain;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Publishing;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>
/// The crash that matters: a channel accepted a post, then the dispatcher died before recording the receipt. A fresh
/// dispatcher sends again; these tests show what each channel makes of that.
/// </summary>
public sealed class DispatcherCrashTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private FakeChannelServers fakes = default!;
    private IHost host = default!;

    public async Task InitializeAsync()
    {
        await database.CreateAsync(migrate: true);
        fakes = await FakeChannelServers.StartAsync();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(fakes.ChannelSettings())
        {
            ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
            ["CrisisDesk:Publishing:RetryBaseDelay"] = "00:00:00.010",
            ["CrisisDesk:Publishing:RedispatchDelay"] = "00:00:00",
            // The fake channel servers listen on 127.0.0.1, which the outbound address policy refuses by default.
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
        });
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddPooledDbContextFactory<CrisisDeskDbContext>(options => options.UseNpgsql(database.DataSource));
        builder.AddPublishing();
        host = builder.Build();
    }

    public async Task DisposeAsync()
    {
        host.Dispose();
        await fakes.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>A store whose receipt write fails after the channel answered, as a crash at that instant would.</summary>
    private sealed class CrashingStore(IDbContextFactory<CrisisDeskDbContext> contexts) : DeliveryStore(contexts)
    {
        public int Crashes;

        public override Task RecordSucceededAsync(ClaimedDelivery delivery, string receipt, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Crashes);
            throw new IOException("process killed between send and receipt");
        }
    }

    private IDbContextFactory<CrisisDeskDbContext> Contexts => host.Services.GetRequiredService<IDbContextFactory<CrisisDeskDbContext>>();

    private DeliveryDispatcher Dispatcher(DeliveryStore store) =>
        ActivatorUtilities.CreateInstance<DeliveryDispatcher>(host.Services, store);

    private async Task<int> ApprovedAlertWithDeliveriesAsync(params string[] channels)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Crash test') RETURNING id");
        var alert = AlertSamples.Issued("crash-" + Guid.NewGuid().ToString("N")[..12]);
        var alertId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO alerts (incident_id, identifier, msg_type, cap_status, headline, cap_xml, state, author, editors, approver)
            VALUES (@incidentId, @identifier, 'Alert', 'Actual', 'Flood', @xml, 'approved', 'writer', ARRAY['writer'], 'approver') RETURNING id
            """, new { incidentId, identifier = alert.Identifier, xml = CapXml.Write(alert) });
        await using var db = await Contexts.CreateDbContextAsync();
        await DeliveryStore.EnqueueAsync(db, incidentId, alertId, null, channels, CancellationToken.None);
        return alertId;
    }

    /// <summary>What happens when the crashed dispatcher's lease runs out (time moved on, not waited for).</summary>
    private async Task ExpireLeasesAsync()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE lease_until IS NOT NULL");
    }

    private async Task<(string Status, int Attempts, string? Receipt)> DeliveryAsync(int alertId, string channel)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, int, string?)>(
            "SELECT status, attempts, receipt FROM deliveries WHERE alert_id = @alertId AND channel = @channel", new { alertId, channel });
    }

    /// <summary>
    /// Several nodes run a dispatcher on one outbox. While another node is claiming some deliveries (their rows locked
    /// in its open transaction), a claim takes the rest at once and none of those (FOR UPDATE SKIP LOCKED in the
    /// claiming UPDATE): it neither waits on the other node nor takes a delivery the other is about to send.
    /// </summary>
    [Fact]
    public async Task A_claim_skips_the_deliveries_another_dispatcher_is_claiming_and_takes_the_rest_without_waiting()
    {
        string[] channels = [ChannelNames.Webhook, ChannelNames.Mastodon, ChannelNames.X, ChannelNames.Bluesky];
        for (var i = 0; i < 5; i++)
            await ApprovedAlertWithDeliveriesAsync(channels);
        await using var otherNode = await database.DataSource.OpenConnectionAsync();
        await using var otherClaim = await otherNode.BeginTransactionAsync();
        var held = (await otherNode.QueryAsync<long>("SELECT id FROM deliveries ORDER BY id LIMIT 5 FOR UPDATE", transaction: otherClaim)).ToList();

        // Only a guard: a claim that waited on the held rows would never return while otherClaim stays open.
        using var waitedOnTheOtherNode = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var claimed = await new DeliveryStore(Contexts).ClaimDueAsync(20, TimeSpan.FromMinutes(1), waitedOnTheOtherNode.Token);

        Assert.Equal(15, claimed.Count);
        Assert.Empty(claimed.Select(d => d.Id).Intersect(held));
        await otherClaim.RollbackAsync();
        var rest = await new DeliveryStore(Contexts).ClaimDueAsync(20, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(held, rest.Select(d => d.Id));
    }

    [Fact]
    public async Task Mastodon_posts_once_when_the_dispatcher_dies_between_send_and_receipt()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.Mastodon);
        var crashing = new CrashingStore(Contexts);

        await Assert.ThrowsAsync<IOException>(() => Dispatcher(crashing).RunOnceAsync(CancellationToken.None));
        Assert.Single(fakes.MastodonStatuses);
        Assert.Equal("pending", (await DeliveryAsync(alertId, ChannelNames.Mastodon)).Status);

        await ExpireLeasesAsync();
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        var delivery = await DeliveryAsync(alertId, ChannelNames.Mastodon);
        Assert.Equal(1, crashing.Crashes);
        Assert.Equal(("succeeded", 2), (delivery.Status, delivery.Attempts));
        Assert.Single(fakes.MastodonStatuses);
        Assert.Single(fakes.MastodonByKey);
        Assert.EndsWith("@alerts/" + fakes.MastodonByKey.Values.Single().GetProperty("id").GetString(), delivery.Receipt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bluesky_posts_once_because_the_retry_names_the_same_record_key()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.Bluesky);

        await Assert.ThrowsAsync<IOException>(() => Dispatcher(new CrashingStore(Contexts)).RunOnceAsync(CancellationToken.None));
        await ExpireLeasesAsync();
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        var delivery = await DeliveryAsync(alertId, ChannelNames.Bluesky);
        var rkey = Assert.Single(fakes.BlueskyRecords.Keys);
        Assert.Equal("succeeded", delivery.Status);
        Assert.Equal($"at://{FakeChannelServers.BlueskyDid}/app.bsky.feed.post/{rkey}", delivery.Receipt);
    }

    [Fact]
    public async Task A_webhook_receiver_sees_the_same_delivery_id_twice_and_can_drop_the_repeat()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.Webhook);

        await Assert.ThrowsAsync<IOException>(() => Dispatcher(new CrashingStore(Contexts)).RunOnceAsync(CancellationToken.None));
        await ExpireLeasesAsync();
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        // At-least-once by design (docs/publishing.md): two requests, one delivery id, both correctly signed.
        var received = fakes.Webhooks.ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.True(r.SignatureValid));
        Assert.Single(received.Select(r => r.DeliveryId).Distinct());
        Assert.Contains("<identifier>crash-", received[0].Body, StringComparison.Ordinal);
        Assert.Equal("succeeded", (await DeliveryAsync(alertId, ChannelNames.Webhook)).Status);
    }

    [Fact]
    public async Task X_has_no_idempotency_key_so_a_crash_at_that_instant_posts_twice_as_documented()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.X);

        await Assert.ThrowsAsync<IOException>(() => Dispatcher(new CrashingStore(Contexts)).RunOnceAsync(CancellationToken.None));
        await ExpireLeasesAsync();
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        // The limit docs/publishing.md states: X is at-least-once. The delivery ends succeeded with one receipt.
        Assert.Equal(2, fakes.Tweets.Count);
        Assert.Equal("succeeded", (await DeliveryAsync(alertId, ChannelNames.X)).Status);
    }

    [Fact]
    public async Task A_leased_delivery_is_not_taken_by_a_second_dispatcher_while_the_first_may_still_be_sending()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.Mastodon);
        await Assert.ThrowsAsync<IOException>(() => Dispatcher(new CrashingStore(Contexts)).RunOnceAsync(CancellationToken.None));

        var claimed = await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, claimed);
        Assert.Equal(("pending", 1), ((await DeliveryAsync(alertId, ChannelNames.Mastodon)).Status, (await DeliveryAsync(alertId, ChannelNames.Mastodon)).Attempts));
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_the_same_post_and_recorded_once()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.X);
        fakes.XFailuresToServe = 2;

        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        Assert.Single(fakes.Tweets);
        Assert.Equal("succeeded", (await DeliveryAsync(alertId, ChannelNames.X)).Status);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'delivery.succeeded' AND (payload->>'channel') = 'x'"));
    }

    [Fact]
    public async Task A_refused_delivery_is_failed_with_the_reason_and_no_secret()
    {
        var alertId = await ApprovedAlertWithDeliveriesAsync(ChannelNames.Mastodon);
        var wrongToken = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ChannelOptions>>().CurrentValue;
        wrongToken.Mastodon.AccessToken = "revoked-token";

        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        await using var check = await database.DataSource.OpenConnectionAsync();
        var (status, error) = await check.QuerySingleAsync<(string, string)>("SELECT status, last_error FROM deliveries WHERE alert_id = @alertId", new { alertId });
        Assert.Equal("failed", status);
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.DoesNotContain("revoked-token", error, StringComparison.Ordinal);
        var failedEvent = await check.ExecuteScalarAsync<string>("SELECT payload::text FROM events WHERE action = 'delivery.failed'");
        Assert.DoesNotContain("revoked-token", failedEvent!, StringComparison.Ordinal);
        Assert.Empty(fakes.MastodonStatuses);
    }
}
