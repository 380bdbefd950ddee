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
/// and a webhook receiver that checks the HMAC signature. Each counts what it really created.
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
            var id = Interlocked.Increment(ref nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var text = body.GetProperty("status").GetString()!;
            var status = JsonSerializer.SerializeToElement(new { id, url = new Uri(BaseUrl, "@alerts/" + id).ToString(), content = "<p>" + text + "</p>", visibility = body.GetProperty("visibility").GetString() });
            if (key.Length > 0)
                MastodonByKey[key] = status;
            MastodonStatuses.Enqueue(text);
            return Results.Json(status);
        });

        web.MapPost("/2/tweets", async (HttpContext http) =>
        {
            if (!Bearer(http, XToken))
                return Results.Json(new { title = "Unauthorized", status = 401, detail = "Unauthorized" }, statusCode: 401);
            if (Interlocked.Decrement(ref XFailuresToServe) >= 0)
                return Results.Json(new { title = "Service Unavailable", status = 503 }, statusCode: 503);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            var text = body.GetProperty("text").GetString()!;
            Tweets.Enqueue(text);
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
            // A record that exists cannot be created again (the real PDS answers 500 here today).
            if (!BlueskyRecords.TryAdd(rkey, record.GetProperty("text").GetString()!))
                return Results.Json(new { error = "InternalServerError", message = "Internal Server Error" }, statusCode: 500);
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
            return valid ? Results.Ok() : Results.Unauthorized();
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}
