using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;

namespace CrisisDesk.IntegrationTests.Replies;

/// <summary>
/// Replies in thread through the real host, the real outbox and the fake platforms, which check the thread references
/// as the platforms do.
/// </summary>
public sealed class ReplyInThreadTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    private Task<HttpClient> AdminAsync() => app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, args))!;
    }

    [Fact]
    public async Task A_reply_reaches_each_platform_once_in_its_thread_and_the_platform_id_is_stored_with_it()
    {
        var admin = await AdminAsync();
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Reply in thread");
        var tweetId = "17900000000000" + Random.Shared.Next(10000, 99999);
        var statusId = "11000000000" + Random.Shared.Next(10000, 99999);
        var parentUri = $"at://did:plc:resident/app.bsky.feed.post/3kparent{Random.Shared.Next(10000, 99999)}";
        app.Fakes.KnownTweets[tweetId] = true;
        app.Fakes.KnownStatuses[statusId] = true;
        app.Fakes.KnownBlueskyPosts[parentUri] = ReplyPosts.ParentCid;
        app.Fakes.KnownBlueskyPosts[ReplyPosts.RootUri] = ReplyPosts.RootCid;
        var onX = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId, "Is the A38 closed?");
        var onMastodon = await ReplyPosts.StoreAsync(app.Database, incidentId, "mastodon", statusId, "Is the bridge shut?", new { visibility = "unlisted" });
        var onBluesky = await ReplyPosts.StoreAsync(app.Database, incidentId, "bluesky", parentUri, "Anyone know about the dam?",
            new { version = ReplyPosts.ParentCid, reply_root_uri = ReplyPosts.RootUri, reply_root_cid = ReplyPosts.RootCid });
        var before = app.Fakes.TweetReplies.Count;
        app.Fakes.XRateLimitsToServe = 1; // the first try is rate-limited; a quick retry goes through

        foreach (var (postId, text) in new[] { (onX, "The A38 is open both ways."), (onMastodon, "The bridge is open."), (onBluesky, "The dam is intact.") })
        {
            var replied = await admin.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text });
            Assert.Equal(HttpStatusCode.Created, replied.StatusCode);
            Assert.Equal("sent", (await replied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        await PublishingFactory.EventuallyAsync(async () => await ScalarAsync<int>(
            "SELECT count(*) FROM deliveries d JOIN replies r ON r.id = d.reply_id WHERE r.incident_id = @incidentId AND d.status = 'succeeded'", new { incidentId }) == 3,
            "the three replies were delivered");
        Assert.Equal(1, app.Fakes.RateLimitedCalls);
        var tweet = Assert.Single(app.Fakes.TweetReplies.Skip(before), r => r.InReplyTo == tweetId);
        Assert.Equal("The A38 is open both ways.", tweet.Text);
        var mastodon = Assert.Single(app.Fakes.MastodonReplies, r => r.InReplyTo == statusId);
        Assert.Equal(("The bridge is open.", "unlisted"), (mastodon.Text, mastodon.Visibility));
        var bluesky = Assert.Single(app.Fakes.BlueskyReplies.Values, r => r.ParentUri == parentUri);
        Assert.Equal((ReplyPosts.RootUri, ReplyPosts.RootCid, ReplyPosts.ParentCid), (bluesky.RootUri, bluesky.RootCid, bluesky.ParentCid));

        // The platform's id for the reply is stored with it, linked to the post it answers.
        var replies = await admin.GetFromJsonAsync<JsonElement>($"/api/posts/{onX}/replies");
        var reply = Assert.Single(replies.EnumerateArray());
        Assert.Equal("succeeded", reply.GetProperty("deliveryStatus").GetString());
        Assert.StartsWith("17", reply.GetProperty("receipt").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, await ScalarAsync<int>("SELECT count(*) FROM events WHERE incident_id = @incidentId AND action = 'reply.sent'", new { incidentId }));
    }

    [Fact]
    public async Task An_operators_reply_waits_for_someone_else_to_approve_it_then_goes_out_once()
    {
        var admin = await AdminAsync();
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Reply approval");
        var tweetId = "17910000000000" + Random.Shared.Next(10000, 99999);
        app.Fakes.KnownTweets[tweetId] = true;
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId, "@riversidecc where is the rest centre?");
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var writer = await app.SignedInClientAsync(op, opPassword);
        var checker = await app.SignedInClientAsync(approver, approverPassword);

        var tooLong = await writer.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = new string('a', 281) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("too long for X", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var drafted = await writer.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = "The rest centre is at the Guildhall." });
        var outcome = await drafted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("awaiting-approval", outcome.GetProperty("state").GetString());
        var replyId = outcome.GetProperty("replyId").GetInt32();
        Assert.Equal(0, await ScalarAsync<int>("SELECT count(*) FROM deliveries WHERE reply_id = @replyId", new { replyId }));

        Assert.Equal(HttpStatusCode.Forbidden, (await writer.PostAsJsonAsync($"/api/replies/{replyId}/approve", new { comment = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await checker.PostAsJsonAsync($"/api/replies/{replyId}/approve", new { comment = "fine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await checker.PostAsJsonAsync($"/api/replies/{replyId}/approve", new { comment = "again" })).StatusCode);

        await PublishingFactory.EventuallyAsync(async () => await ScalarAsync<string?>("SELECT status FROM deliveries WHERE reply_id = @replyId", new { replyId }) == "succeeded",
            "the approved reply was delivered");
        Assert.Single(app.Fakes.TweetReplies, r => r.InReplyTo == tweetId);
        Assert.Equal(["reply.drafted", "authorization.denied", "reply.approved", "reply.sent"],
            (await QueryAsync("SELECT action FROM events WHERE incident_id = @incidentId AND (action LIKE 'reply.%' OR action = 'authorization.denied') ORDER BY seq", new { incidentId })).ToArray());
    }

    [Fact]
    public async Task Two_approvers_approving_the_same_reply_at_once_send_it_once_and_the_second_hears_it_is_sent()
    {
        var admin = await AdminAsync();
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Approval race");
        var statusId = "1799" + Random.Shared.Next(100000, 999999);
        app.Fakes.KnownStatuses[statusId] = true;
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "mastodon", statusId, "is the rest centre open?");
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (first, firstPassword) = await app.CreateUserAsync(Roles.Approver);
        var (second, secondPassword) = await app.CreateUserAsync(Roles.Approver);
        var writer = await app.SignedInClientAsync(op, opPassword);
        var replyId = (await (await writer.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = "Yes, at the Guildhall." }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replyId").GetInt32();
        var approvers = new[] { await app.SignedInClientAsync(first, firstPassword), await app.SignedInClientAsync(second, secondPassword) };

        var results = await Task.WhenAll(approvers.Select(approver => approver.PostAsJsonAsync($"/api/replies/{replyId}/approve", new { comment = "fine" })));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], results.Select(r => r.StatusCode).Order().ToArray());
        Assert.Contains("This reply is sent", await results.Single(r => r.StatusCode == HttpStatusCode.Conflict).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync<int>("SELECT count(*) FROM deliveries WHERE reply_id = @replyId", new { replyId }));
        Assert.Equal(["reply.drafted", "reply.approved", "reply.sent"],
            (await QueryAsync("SELECT action FROM events WHERE incident_id = @incidentId AND action LIKE 'reply.%' ORDER BY seq", new { incidentId })).ToArray());
    }

    [Fact]
    public async Task A_reply_to_a_post_the_platform_does_not_show_fails_with_the_platforms_reason()
    {
        var admin = await AdminAsync();
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Deleted parent");
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", "17920000000000" + Random.Shared.Next(10000, 99999), "gone");

        var replied = await admin.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = "Thanks." });
        var replyId = (await replied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replyId").GetInt32();

        await PublishingFactory.EventuallyAsync(async () => await ScalarAsync<string?>("SELECT status FROM deliveries WHERE reply_id = @replyId", new { replyId }) == "failed",
            "the reply was refused");
        Assert.Contains("deleted or not visible", await ScalarAsync<string>("SELECT last_error FROM deliveries WHERE reply_id = @replyId", new { replyId }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accounts_and_rules_are_changed_by_admins_only_and_a_credential_for_another_host_is_refused()
    {
        var admin = await AdminAsync();
        var incidentId = (await (await admin.PostAsJsonAsync("/api/incidents", new { name = "Accounts" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var operatorClient = await app.SignedInClientAsync(op, opPassword);

        var byOperator = await operatorClient.PutAsJsonAsync($"/api/incidents/{incidentId}/accounts/x", new { handle = "@riversidecc", baseUrl = app.Fakes.BaseUrl, secretName = "X:Riverside" });
        Assert.Equal(HttpStatusCode.Forbidden, byOperator.StatusCode);
        var wrongHost = await admin.PutAsJsonAsync($"/api/incidents/{incidentId}/accounts/x", new { handle = "@riversidecc", baseUrl = "https://api.x.com", secretName = "X:Riverside" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongHost.StatusCode);
        Assert.Contains("only sent to", await wrongHost.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unknown = await admin.PutAsJsonAsync($"/api/incidents/{incidentId}/accounts/x", new { handle = "@riversidecc", baseUrl = app.Fakes.BaseUrl, secretName = "X:Nobody" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PutAsJsonAsync("/api/reply-rules/x/Operator", new { needsApproval = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync("/api/reply-rules/mastodon/Approver", new { needsApproval = true })).StatusCode);
        var rules = await admin.GetFromJsonAsync<JsonElement>("/api/reply-rules");
        Assert.Contains(rules.EnumerateArray(), r => r.GetProperty("platform").GetString() == "mastodon" && r.GetProperty("role").GetString() == "Approver" && r.GetProperty("needsApproval").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync("/api/reply-rules/mastodon/Approver", new { needsApproval = false })).StatusCode);
    }

    [Fact]
    public async Task A_drill_never_replies_to_the_real_posts_it_replays()
    {
        var admin = await AdminAsync();
        var drillId = await ScalarAsync<int>("SELECT id FROM incidents WHERE is_drill ORDER BY id LIMIT 1");
        var postId = await ReplyPosts.StoreAsync(app.Database, drillId, "x", "17930000000000" + Random.Shared.Next(10000, 99999), "a replayed post");

        var replied = await admin.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = "Hello" });

        Assert.Equal(HttpStatusCode.Conflict, replied.StatusCode);
        Assert.Contains("drill", await replied.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<IEnumerable<string>> QueryAsync(string sql, object args)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.QueryAsync<string>(sql, args);
    }
}
