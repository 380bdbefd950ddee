using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Startup;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>
/// The public CAP feed: delivering marks the alert as public, so <c>/cap/feed.atom</c> lists it and
/// <c>/cap/alerts/{identifier}.xml</c> serves it. Recording the receipt is the publication, so it is exactly once.
/// </summary>
public sealed class CapFeedChannel(PublicUrl publicUrl) : IDeliveryChannel
{
    public string Name => ChannelNames.CapFeed;
    public bool IsConfigured => true;

    public Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken) =>
        Task.FromResult(CapAtomFeed.AlertUrl(publicUrl.Base, work.AlertIdentifier
            ?? throw new PermanentDeliveryException("the CAP feed carries alerts only")).ToString());
}

/// <summary>
/// POSTs the CAP document to a receiver, signed: <c>X-CrisisDesk-Signature: sha256=HEX</c> is HMAC-SHA256 with the
/// shared secret over <c>{timestamp}.{body}</c>, the timestamp (Unix seconds) in <c>X-CrisisDesk-Timestamp</c>.
/// <c>X-CrisisDesk-Delivery</c> is the same on every retry of one delivery, so a receiver can drop repeats.
/// </summary>
public sealed class WebhookChannel(IHttpClientFactory http, IOptionsMonitor<ChannelOptions> options, TimeProvider clock) : IDeliveryChannel
{
    public const string DeliveryHeader = "X-CrisisDesk-Delivery";
    public const string TimestampHeader = "X-CrisisDesk-Timestamp";
    public const string SignatureHeader = "X-CrisisDesk-Signature";

    public string Name => ChannelNames.Webhook;
    private ChannelOptions.WebhookOptions Settings => options.CurrentValue.Webhook;
    public bool IsConfigured => Settings.Url is not null && !string.IsNullOrEmpty(Settings.Secret);

    public static string Sign(string secret, string timestamp, byte[] body)
    {
        var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var settings = Settings;
        var body = Encoding.UTF8.GetBytes(work.CapXml ?? throw new PermanentDeliveryException("the webhook carries alerts only"));
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CapXml.MediaType) { CharSet = "utf-8" };
        request.Headers.Add(DeliveryHeader, work.IdempotencyKey.ToString());
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, Sign(settings.Secret!, timestamp, body));
        using var response = await http.CreateClient(Name).SendAsync(request, cancellationToken);
        await HttpOutcome.EnsureSuccessAsync(response, Name, cancellationToken);
        return $"HTTP {(int)response.StatusCode} delivery {work.IdempotencyKey}";
    }
}

/// <summary>
/// Mastodon <c>POST /api/v1/statuses</c> with <c>Idempotency-Key</c>: Mastodon answers a repeated key with the status
/// it already made, so a resend after a crash does not post twice.
/// </summary>
public sealed class MastodonChannel(IHttpClientFactory http, IOptionsMonitor<ChannelOptions> options) : IDeliveryChannel
{
    public string Name => ChannelNames.Mastodon;
    private ChannelOptions.MastodonOptions Settings => options.CurrentValue.Mastodon;
    public bool IsConfigured => Settings.BaseUrl is not null && !string.IsNullOrEmpty(Settings.AccessToken);

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var settings = Settings;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.BaseUrl!, "/api/v1/statuses"))
        {
            Content = JsonContent.Create(new { status = work.Text, visibility = settings.Visibility }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);
        request.Headers.Add("Idempotency-Key", work.IdempotencyKey.ToString());
        using var response = await http.CreateClient(Name).SendAsync(request, cancellationToken);
        await HttpOutcome.EnsureSuccessAsync(response, Name, cancellationToken);
        var status = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return status.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String
            ? url.GetString()!
            : "status " + status.GetProperty("id").GetString();
    }
}

/// <summary>
/// X <c>POST /2/tweets</c>. X offers no idempotency key: a crash after X accepted a post and before the receipt was
/// recorded can post twice (at-least-once; see docs/publishing.md).
/// </summary>
public sealed class XChannel(IHttpClientFactory http, IOptionsMonitor<ChannelOptions> options) : IDeliveryChannel
{
    public string Name => ChannelNames.X;
    private ChannelOptions.XOptions Settings => options.CurrentValue.X;
    public bool IsConfigured => Settings.BaseUrl is not null && !string.IsNullOrEmpty(Settings.AccessToken);

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var settings = Settings;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.BaseUrl!, "/2/tweets"))
        {
            Content = JsonContent.Create(new { text = work.Text }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);
        using var response = await http.CreateClient(Name).SendAsync(request, cancellationToken);
        await HttpOutcome.EnsureSuccessAsync(response, Name, cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return "tweet " + created.GetProperty("data").GetProperty("id").GetString();
    }
}

/// <summary>
/// Bluesky <c>com.atproto.repo.createRecord</c> of an <c>app.bsky.feed.post</c> with a record key derived from the
/// delivery (a TID built from its creation time and id), so every retry names the same record: a second create is a
/// conflict, not a second post. Before a retry, and after any failed create, <c>getRecord</c> tells whether an earlier
/// try already made it.
/// </summary>
public sealed class BlueskyChannel(IHttpClientFactory http, IOptionsMonitor<ChannelOptions> options) : IDeliveryChannel
{
    public const string PostCollection = "app.bsky.feed.post";
    private readonly SemaphoreSlim sessionGate = new(1, 1);
    private (string Did, string AccessJwt)? session;

    public string Name => ChannelNames.Bluesky;
    private ChannelOptions.BlueskyOptions Settings => options.CurrentValue.Bluesky;
    public bool IsConfigured => Settings.ServiceUrl is not null && !string.IsNullOrEmpty(Settings.Identifier) && !string.IsNullOrEmpty(Settings.AppPassword);

    private const string TidAlphabet = "234567abcdefghijklmnopqrstuvwxyz";

    /// <summary>A TID (13 base32-sortable characters: 53 bits of microseconds, 10 bits of clock id) for the delivery.</summary>
    public static string RecordKey(DateTimeOffset createdAt, long deliveryId)
    {
        var micros = (ulong)((createdAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10) & ((1UL << 53) - 1);
        var value = (micros << 10) | ((ulong)deliveryId & 0x3FF);
        var chars = new char[13];
        for (var i = 12; i >= 0; i--)
        {
            chars[i] = TidAlphabet[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var client = http.CreateClient(Name);
        var (did, jwt) = await SessionAsync(client, cancellationToken);
        var rkey = RecordKey(work.CreatedAt, work.Id);
        if (work.Attempt > 1 && await ExistingAsync(client, did, jwt, rkey, cancellationToken) is { } earlier)
            return earlier;

        using var request = new HttpRequestMessage(HttpMethod.Post, Xrpc("com.atproto.repo.createRecord"))
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["repo"] = did,
                ["collection"] = PostCollection,
                ["rkey"] = rkey,
                ["record"] = new Dictionary<string, object?>
                {
                    ["$type"] = PostCollection,
                    ["text"] = work.Text,
                    ["createdAt"] = work.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        using var response = await client.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            session = null;
        if (!response.IsSuccessStatusCode && await ExistingAsync(client, did, jwt, rkey, cancellationToken) is { } made)
            return made;
        await HttpOutcome.EnsureSuccessAsync(response, Name, cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return created.GetProperty("uri").GetString()!;
    }

    private Uri Xrpc(string method) => new(Settings.ServiceUrl!, "/xrpc/" + method);

    private async Task<string?> ExistingAsync(HttpClient client, string did, string jwt, string rkey, CancellationToken cancellationToken)
    {
        var query = $"?repo={Uri.EscapeDataString(did)}&collection={PostCollection}&rkey={rkey}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Xrpc("com.atproto.repo.getRecord") + query));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            return null;
        var record = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return record.GetProperty("uri").GetString();
    }

    private async Task<(string Did, string AccessJwt)> SessionAsync(HttpClient client, CancellationToken cancellationToken)
    {
        await sessionGate.WaitAsync(cancellationToken);
        try
        {
            if (session is { } current)
                return current;
            var settings = Settings;
            using var response = await client.PostAsJsonAsync(Xrpc("com.atproto.server.createSession"),
                new { identifier = settings.Identifier, password = settings.AppPassword }, cancellationToken);
            await HttpOutcome.EnsureSuccessAsync(response, Name, cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            var created = (body.GetProperty("did").GetString()!, body.GetProperty("accessJwt").GetString()!);
            session = created;
            return created;
        }
        finally
        {
            sessionGate.Release();
        }
    }
}
