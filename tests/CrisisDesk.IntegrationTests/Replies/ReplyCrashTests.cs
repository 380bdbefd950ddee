using CrisisDesk.Data.Domain;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Replies;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.IntegrationTests.Replies;

/// <summary>
/// A platform took a reply, then the dispatcher died before recording the receipt. Mastodon (Idempotency-Key) and
/// Bluesky (a record key derived from the delivery) get the reply exactly once; X offers no key, so the reply is not
/// sent again but failed as "may have been sent" for a person to check.
/// </summary>
public sealed class ReplyCrashTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private FakeChannelServers fakes = default!;
    private IHost host = default!;

    public async Task InitializeAsync()
    {
        await database.CreateAsync(migrate: true);
        fakes = await FakeChannelServers.StartAsync();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(fakes.ChannelSettings().Concat(fakes.ReplySecretSettings()))
        {
            ["CrisisDesk:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
            ["CrisisDesk:Publishing:RetryBaseDelay"] = "00:00:00.010",
            ["CrisisDesk:Publishing:RedispatchDelay"] = "00:00:00",
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
            ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
        });
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddPooledDbContextFactory<CrisisDeskDbContext>(options => options.UseNpgsql(database.DataSource));
        builder.AddPublishing();
        builder.AddReplies();
        host = builder.Build();
    }

    public async Task DisposeAsync()
    {
        host.Dispose();
        await fakes.DisposeAsync();
        await database.DisposeAsync();
    }

    private sealed class CrashingStore(IDbContextFactory<CrisisDeskDbContext> contexts) : DeliveryStore(contexts)
    {
        public override Task RecordSucceededAsync(ClaimedDelivery delivery, string receipt, CancellationToken cancellationToken) =>
            throw new IOException("process killed between send and receipt");
    }

    private IDbContextFactory<CrisisDeskDbContext> Contexts => host.Services.GetRequiredService<IDbContextFactory<CrisisDeskDbContext>>();

    private DeliveryDispatcher Dispatcher(DeliveryStore store) => ActivatorUtilities.CreateInstance<DeliveryDispatcher>(host.Services, store);

    /// <summary>A reply sent to the outbox on a resident's post, as ReplyCommands leaves it; returns the delivery id.</summary>
    private async Task<long> QueuedReplyAsync(string platform, string externalId, string parentRef)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Reply crash') RETURNING id");
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'test') RETURNING id", new { incidentId });
        var postId = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, text) VALUES (@incidentId, @sourceId, @platform, @externalId, now(), now(), 'question?') RETURNING id
            """, new { incidentId, sourceId, platform, externalId });
        var (handle, secret) = platform switch { "x" => ("@riversidecc", "X:Riverside"), "mastodon" => ("riverside@x", "Mastodon:Riverside"), _ => (FakeChannelServers.BlueskyHandle, "Bluesky:Riverside") };
        await connection.ExecuteAsync("INSERT INTO org_accounts (incident_id, platform, handle, base_url, secret_name, created_by) VALUES (@incidentId, @platform, @handle, @url, @secret, 'admin')",
            new { incidentId, platform, handle, url = fakes.BaseUrl.ToString(), secret });
        var replyId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO replies (incident_id, post_id, platform, text, state, author, parent_ref, sent_at) VALUES (@incidentId, @postId, @platform, 'It is open.', 'sent', 'ann', @parentRef::jsonb, now()) RETURNING id
            """, new { incidentId, postId, platform, parentRef });
        return await connection.ExecuteScalarAsync<long>("INSERT INTO deliveries (incident_id, reply_id, channel, idempotency_key) VALUES (@incidentId, @replyId, @channel, @key) RETURNING id",
            new { incidentId, replyId, channel = ChannelNames.ReplyChannelOf(platform), key = Guid.NewGuid() });
    }

    private async Task CrashThenRedispatchAsync()
    {
        await Assert.ThrowsAsync<IOException>(() => Dispatcher(new CrashingStore(Contexts)).RunOnceAsync(CancellationToken.None));
        await using (var connection = await database.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE lease_until IS NOT NULL");
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);
    }

    private async Task<(string Status, string? Receipt, string? Error)> DeliveryAsync(long id)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, string?, string?)>("SELECT status, receipt, last_error FROM deliveries WHERE id = @id", new { id });
    }

    [Fact]
    public async Task Mastodon_gets_the_reply_exactly_once_through_its_idempotency_key()
    {
        fakes.KnownStatuses["4242"] = true;
        var deliveryId = await QueuedReplyAsync("mastodon", "4242", new ThreadRef { StatusId = "4242", Visibility = "public" }.ToJson());

        await CrashThenRedispatchAsync();

        var reply = Assert.Single(fakes.MastodonReplies);
        Assert.Equal(("4242", "public"), (reply.InReplyTo, reply.Visibility));
        var delivery = await DeliveryAsync(deliveryId);
        Assert.Equal(("succeeded", fakes.MastodonByKey.Values.Single().GetProperty("id").GetString()), (delivery.Status, delivery.Receipt));
    }

    [Fact]
    public async Task Bluesky_gets_the_reply_exactly_once_because_the_resend_names_the_same_record()
    {
        const string parent = "at://did:plc:resident/app.bsky.feed.post/3kparent0001";
        fakes.KnownBlueskyPosts[parent] = "bafyparent";
        var deliveryId = await QueuedReplyAsync("bluesky", parent, new ThreadRef { Parent = new StrongRef(parent, "bafyparent"), Root = new StrongRef(parent, "bafyparent") }.ToJson());

        await CrashThenRedispatchAsync();

        var (rkey, reply) = Assert.Single(fakes.BlueskyReplies);
        Assert.Equal((parent, parent), (reply.RootUri, reply.ParentUri));
        Assert.Equal(("succeeded", $"at://{FakeChannelServers.BlueskyDid}/app.bsky.feed.post/{rkey}"), ((await DeliveryAsync(deliveryId)).Status, (await DeliveryAsync(deliveryId)).Receipt));
    }

    [Fact]
    public async Task X_is_not_sent_twice_the_reply_is_failed_as_may_have_been_sent_and_a_person_can_send_it_again()
    {
        fakes.KnownTweets["1801"] = true;
        var deliveryId = await QueuedReplyAsync("x", "1801", new ThreadRef { TweetId = "1801" }.ToJson());

        await CrashThenRedispatchAsync();

        Assert.Single(fakes.TweetReplies);
        var delivery = await DeliveryAsync(deliveryId);
        Assert.Equal("failed", delivery.Status);
        Assert.StartsWith("may have been sent", delivery.Error, StringComparison.Ordinal);

        // The person checked the account and chose to send again: a retry starts a new generation and sends.
        await using (var connection = await database.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE deliveries SET status = 'pending', next_attempt_at = now(), retry_base = attempts, lease_until = NULL WHERE id = @deliveryId", new { deliveryId });
        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, fakes.TweetReplies.Count);
        Assert.Equal("succeeded", (await DeliveryAsync(deliveryId)).Status);
    }

    [Fact]
    public async Task An_answered_failure_from_x_is_retried_because_x_said_it_did_not_post()
    {
        fakes.KnownTweets["1802"] = true;
        fakes.XFailuresToServe = 2;
        var deliveryId = await QueuedReplyAsync("x", "1802", new ThreadRef { TweetId = "1802" }.ToJson());

        await Dispatcher(new DeliveryStore(Contexts)).RunOnceAsync(CancellationToken.None);

        Assert.Single(fakes.TweetReplies);
        Assert.Equal("succeeded", (await DeliveryAsync(deliveryId)).Status);
    }
}
