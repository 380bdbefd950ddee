using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>
/// In-test stand-ins for every outside channel, on one Kestrel server on 127.0.0.1 (port chosen by the system),
/// speaking each platform's wire format as documented: Mastodon <c>POST /api/v1/statuses</c> honouring
/// <c>Idempotency-Key</c>; X <c>POST /2/tweets</c>; Bluesky <c>com.atproto.server.createSession</c>,
/// <c>com.atproto.repo.createRecord</c> (a record key that exists fails, as the real PDS does) and <c>getRecord</c>;
/// and a webhook receiver that checks the HMAC signature. Each counts what it really created. Replies in thread are
/// checked as the platforms check them: X's <c>reply.in_reply_to_tweet_id</c>, Mastodon's <c>in_reply_to_id</c> and
/// Bluesky's <c>reply.root</c>/<c>reply.parent</c> strong refs must name posts that exist (the test registers them).
/// </summary>
public sealed class FakeChannelServers : IAsyncDisposable
{
    public const string MastodonToken = "mastodon-test-token";
    public const string XToken = "x-test-token";
    public const string BlueskyHandle = "alerts.test";
    public const string BlueskyPassword = "app-password-test";
    public const string BlueskyDid = "did:plc:crisisdesktest";
    public const string WebhookSecret = "webhook-test-secret";

    private FakeServer? server;
    private int nextId;

    public Uri BaseUrl { get; private set; } = default!;

    public ConcurrentDictionary<string, JsonElement> MastodonByKey { get; } = new();
    public ConcurrentQueue<string> MastodonStatuses { get; } = new();
    public ConcurrentQueue<string> Tweets { get; } = new();
    public ConcurrentDictionary<string, string> BlueskyRecords { get; } = new();
    public ConcurrentQueue<(string DeliveryId, bool SignatureValid, string Body)> Webhooks { get; } = new();

    /// <summary>How many of the next X calls answer 503 (to exercise retries).</summary>
    public int XFailuresToServe;

    /// <summary>How many of the next X calls answer 429 with <c>x-rate-limit-reset</c>, as X does when the window is spent.</summary>
    public int XRateLimitsToServe;

    /// <summary>How many of the next Mastodon status calls answer 503.</summary>
    public int MastodonFailuresToServe;

    // Replies in thread: the posts that exist to be replied to, and the replies made, with the thread references sent.
    public ConcurrentDictionary<string, bool> KnownTweets { get; } = new();
    public ConcurrentQueue<(string Text, string InReplyTo)> TweetReplies { get; } = new();
    public ConcurrentDictionary<string, bool> KnownStatuses { get; } = new();
    public ConcurrentQueue<(string Text, string InReplyTo, string Visibility)> MastodonReplies { get; } = new();
    public ConcurrentDictionary<string, string> KnownBlueskyPosts { get; } = new();
    public ConcurrentDictionary<string, (string Text, string RootUri, string RootCid, string ParentUri, string ParentCid)> BlueskyReplies { get; } = new();
    public int RateLimitedCalls;

    /// <summary>
    /// Called with the channel ("webhook", "mastodon", "x", "bluesky") and the text or body of each new post or webhook
    /// the fakes accept (not replies): the delivery bench times them.
    /// </summary>
    public Action<string, string>? OnReceived { get; set; }

    public static async Task<FakeChannelServers> StartAsync()
    {
        var fake = new FakeChannelServers();
        fake.server = await FakeServer.StartAsync(fake.Map);
        fake.BaseUrl = fake.server.Address;
        return fake;
    }

    /// <summary>The channel settings that point CrisisDesk at these fakes.</summary>
    public Dictionary<string, string?> ChannelSettings() => new()
    {
        ["CrisisDesk:Channels:Webhook:Url"] = new Uri(BaseUrl, "hook").ToString(),
        ["CrisisDesk:Channels:Webhook:Secret"] = WebhookSecret,
        ["CrisisDesk:Channels:Mastodon:BaseUrl"] = BaseUrl.ToString(),
        ["CrisisDesk:Channels:Mastodon:AccessToken"] = MastodonToken,
        ["CrisisDesk:Channels:X:BaseUrl"] = BaseUrl.ToString(),
        ["CrisisDesk:Channels:X:AccessToken"] = XToken,
        ["CrisisDesk:Channels:Bluesky:ServiceUrl"] = BaseUrl.ToString(),
        ["CrisisDesk:Channels:Bluesky:Identifier"] = BlueskyHandle,
        ["CrisisDesk:Channels:Bluesky:AppPassword"] = BlueskyPassword,
    };

    /// <summary>
    /// Credentials for the organisation's accounts (replies): named secrets bound to the fakes' address, as an Admin
    /// would configure them for a real instance.
    /// </summary>
    public Dictionary<string, string?> ReplySecretSettings() => new()
    {
        ["CrisisDesk:Secrets:X:Riverside"] = XToken,
        ["CrisisDesk:SecretHosts:X:Riverside"] = BaseUrl.Host,
        ["CrisisDesk:Secrets:Mastodon:Riverside"] = MastodonToken,
        ["CrisisDesk:SecretHosts:Mastodon:Riverside"] = BaseUrl.Host,
        ["CrisisDesk:Secrets:Bluesky:Riverside"] = BlueskyPassword,
        ["CrisisDesk:SecretHosts:Bluesky:Riverside"] = BaseUrl.Host,
    };

    private static bool Bearer(HttpContext http, string token) =>
        http.Request.Headers.Authorization.ToString() == "Bearer " + token;

    private void Map(WebApplication web)
    {
        web.MapPost("/api/v1/statuses", async (HttpContext http) =>
        {
            if (!Bearer(http, MastodonToken))
                return Results.Json(new { error = "The access token is invalid" }, statusCode: 401);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            // Mastodon answers a repeated Idempotency-Key with the status it already created.
            if (key.Length > 0 && MastodonByKey.TryGetValue(key, out var existing))
                return Results.Json(existing);
            if (Interlocked.Decrement(ref MastodonFailuresToServe) >= 0)
                return Results.Json(new { error = "Service Unavailable" }, statusCode: 503);
            var inReplyTo = body.TryGetProperty("in_reply_to_id", out var replyTo) && replyTo.ValueKind == JsonValueKind.String ? replyTo.GetString() : null;
            // A reply to a status the instance does not hold is refused, as Mastodon does.
            if (inReplyTo is not null && !KnownStatuses.ContainsKey(inReplyTo))
                return Results.Json(new { error = "Record not found" }, statusCode: 404);
            var id = Interlocked.Increment(ref nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var text = body.GetProperty("status").GetString()!;
            var visibility = body.GetProperty("visibility").GetString()!;
            var status = JsonSerializer.SerializeToElement(new { id, url = new Uri(BaseUrl, "@alerts/" + id).ToString(), content = "<p>" + text + "</p>", visibility, in_reply_to_id = inReplyTo });
            if (key.Length > 0)
                MastodonByKey[key] = status;
            if (inReplyTo is not null)
                MastodonReplies.Enqueue((text, inReplyTo, visibility));
            else
            {
                MastodonStatuses.Enqueue(text);
                OnReceived?.Invoke("mastodon", text);
            }
            return Results.Json(status);
        });

        web.MapPost("/2/tweets", async (HttpContext http) =>
        {
            if (!Bearer(http, XToken))
                return Results.Json(new { title = "Unauthorized", status = 401, detail = "Unauthorized" }, statusCode: 401);
            if (Interlocked.Decrement(ref XFailuresToServe) >= 0)
                return Results.Json(new { title = "Service Unavailable", status = 503 }, statusCode: 503);
            if (Interlocked.Decrement(ref XRateLimitsToServe) >= 0)
            {
                Interlocked.Increment(ref RateLimitedCalls);
                http.Response.Headers["x-rate-limit-limit"] = "100";
                http.Response.Headers["x-rate-limit-remaining"] = "0";
                http.Response.Headers["x-rate-limit-reset"] = DateTimeOffset.UtcNow.AddMinutes(15).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new { title = "Too Many Requests", detail = "Too Many Requests", type = "about:blank", status = 429 }, statusCode: 429);
            }
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            var text = body.GetProperty("text").GetString()!;
            if (body.TryGetProperty("reply", out var reply))
            {
                // X's reply object: in_reply_to_tweet_id must name a post that exists and is visible.
                var parent = reply.TryGetProperty("in_reply_to_tweet_id", out var parentId) && parentId.ValueKind == JsonValueKind.String ? parentId.GetString()! : "";
                if (!KnownTweets.ContainsKey(parent))
                    return Results.Json(new { title = "Forbidden", status = 403, detail = "You attempted to reply to a Tweet that is deleted or not visible to you." }, statusCode: 403);
                TweetReplies.Enqueue((text, parent));
            }
            else
            {
                Tweets.Enqueue(text);
                OnReceived?.Invoke("x", text);
            }
            var id = "17" + Interlocked.Increment(ref nextId).ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { data = new { id, text, edit_history_tweet_ids = new[] { id } } }, statusCode: 201);
        });

        web.MapPost("/xrpc/com.atproto.server.createSession", async (HttpContext http) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            if (body.GetProperty("identifier").GetString() != BlueskyHandle || body.GetProperty("password").GetString() != BlueskyPassword)
                return Results.Json(new { error = "AuthenticationRequired", message = "Invalid identifier or password" }, statusCode: 401);
            return Results.Json(new { did = BlueskyDid, handle = BlueskyHandle, accessJwt = "access-jwt", refreshJwt = "refresh-jwt", active = true });
        });
        web.MapPost("/xrpc/com.atproto.repo.createRecord", async (HttpContext http) =>
        {
            if (!Bearer(http, "access-jwt"))
                return Results.Json(new { error = "AuthenticationRequired" }, statusCode: 401);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            var rkey = body.GetProperty("rkey").GetString()!;
            var record = body.GetProperty("record");
            if (body.GetProperty("repo").GetString() != BlueskyDid || body.GetProperty("collection").GetString() != "app.bsky.feed.post"
                || record.GetProperty("$type").GetString() != "app.bsky.feed.post" || rkey.Length != 13)
                return Results.Json(new { error = "InvalidRequest", message = "bad record" }, statusCode: 400);
            if (record.TryGetProperty("reply", out var reply))
            {
                // app.bsky.feed.post#replyRef: root and parent are strong refs (uri + cid) to posts that exist, with the CID of their content.
                var refs = new List<(string Uri, string Cid)>();
                foreach (var name in new[] { "root", "parent" })
                {
                    if (!reply.TryGetProperty(name, out var strongRef) || strongRef.ValueKind != JsonValueKind.Object
                        || strongRef.GetProperty("uri").GetString() is not { } refUri || strongRef.GetProperty("cid").GetString() is not { } refCid
                        || !KnownBlueskyPosts.TryGetValue(refUri, out var knownCid) || knownCid != refCid)
                        return Results.Json(new { error = "InvalidRequest", message = $"Invalid app.bsky.feed.post record: reply/{name} must be a strong ref to an existing post" }, statusCode: 400);
                    refs.Add((refUri, refCid));
                }
                if (BlueskyRecords.ContainsKey(rkey))
                    return Results.Json(new { error = "InternalServerError", message = "Internal Server Error" }, statusCode: 500);
                BlueskyReplies[rkey] = (record.GetProperty("text").GetString()!, refs[0].Uri, refs[0].Cid, refs[1].Uri, refs[1].Cid);
            }
            // A record that exists cannot be created again (the real PDS answers 500 here today).
            if (!BlueskyRecords.TryAdd(rkey, record.GetProperty("text").GetString()!))
                return Results.Json(new { error = "InternalServerError", message = "Internal Server Error" }, statusCode: 500);
            if (!record.TryGetProperty("reply", out _))
                OnReceived?.Invoke("bluesky", record.GetProperty("text").GetString()!);
            return Results.Json(new { uri = $"at://{BlueskyDid}/app.bsky.feed.post/{rkey}", cid = "bafyrei" + rkey });
        });
        web.MapGet("/xrpc/com.atproto.repo.getRecord", (HttpContext http) =>
        {
            var rkey = http.Request.Query["rkey"].ToString();
            return BlueskyRecords.TryGetValue(rkey, out var text)
                ? Results.Json(new { uri = $"at://{BlueskyDid}/app.bsky.feed.post/{rkey}", cid = "bafyrei" + rkey, value = new { text } })
                : Results.Json(new { error = "RecordNotFound", message = "Could not locate record" }, statusCode: 400);
        });

        web.MapPost("/hook", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var timestamp = http.Request.Headers[WebhookChannel.TimestampHeader].ToString();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray()));
            var valid = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(http.Request.Headers[WebhookChannel.SignatureHeader].ToString()));
            Webhooks.Enqueue((http.Request.Headers[WebhookChannel.DeliveryHeader].ToString(), valid, Encoding.UTF8.GetString(body)));
            if (valid)
                OnReceived?.Invoke("webhook", Encoding.UTF8.GetString(body));
            return valid ? Results.Ok() : Results.Unauthorized();
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}
