using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Data.Domain;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>What a reply delivery sends: the reply, its thread reference, and the incident's account on its platform.</summary>
public sealed record ReplySend(int ReplyId, string Platform, string Text, ThreadRef Thread, int RetryBase, int? UnansweredGeneration,
    string? Handle, string? BaseUrl, string? SecretName);

/// <summary>The reply rows the reply channels read and mark while they send, on the domain's DbContext.</summary>
public sealed class ReplyOutbox(IDbContextFactory<CrisisDeskDbContext> contexts)
{
    public async Task<ReplySend> LoadAsync(long deliveryId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await (
            from d in db.Deliveries
            where d.Id == deliveryId
            join r in db.Replies on d.ReplyId equals r.Id
            // The incident's account on the reply's platform, if it still has one (it is checked before sending).
            from a in db.OrgAccounts.Where(a => a.IncidentId == r.IncidentId && a.Platform == r.Platform).DefaultIfEmpty()
            select new Row(r.Id, r.Platform, r.Text, r.ParentRef, d.RetryBase, r.UnansweredSendGeneration,
                a == null ? null : a.Handle, a == null ? null : a.BaseUrl, a == null ? null : a.SecretName))
            .AsNoTracking().SingleOrDefaultAsync(cancellationToken)
            ?? throw new PermanentDeliveryException("this delivery carries no reply");
        return new ReplySend(row.ReplyId, row.Platform, row.Text, ThreadRef.FromJson(row.ParentRef), row.RetryBase, row.Unanswered,
            row.Handle, row.BaseUrl, row.SecretName);
    }

    private sealed record Row(int ReplyId, string Platform, string Text, string ParentRef, int RetryBase, int? Unanswered, string? Handle, string? BaseUrl, string? SecretName);

    /// <summary>A send without an idempotency key starts (<paramref name="generation"/>) or got an answer (null).</summary>
    public async Task MarkUnansweredAsync(int replyId, int? generation, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Replies.Where(r => r.Id == replyId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.UnansweredSendGeneration, generation), cancellationToken);
    }
}

/// <summary>The three reply channels' common part: the account and its credential, checked before anything is sent.</summary>
public abstract class ReplyChannel(IHttpClientFactory http, ReplyOutbox outbox, SourceSecrets secrets) : IDeliveryChannel
{
    public abstract string Name { get; }

    protected abstract string Platform { get; }

    /// <summary>Always on: whether the incident has an account on the platform is known only per reply, when it is sent.</summary>
    public bool IsConfigured => true;

    protected ReplyOutbox Outbox { get; } = outbox;

    protected HttpClient Client => http.CreateClient(Name);

    public async Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        var reply = await Outbox.LoadAsync(work.Id, cancellationToken);
        if (reply.BaseUrl is null || reply.SecretName is null || !Uri.TryCreate(reply.BaseUrl, UriKind.Absolute, out var baseUrl))
            throw new PermanentDeliveryException($"the incident has no {ReplyPlatforms.Label(Platform)} account to reply from (its Accounts page)");
        var secret = secrets.Find(reply.SecretName)
            ?? throw new PermanentDeliveryException($"the credential \"{reply.SecretName}\" is not configured (CrisisDesk:Secrets)");
        if (secret.Binding.Refusal(Platform, baseUrl) is { } refusal)
            throw new PermanentDeliveryException(refusal);
        return await SendAsync(work, reply, baseUrl, secret, cancellationToken);
    }

    protected abstract Task<string> SendAsync(DeliveryWork work, ReplySend reply, Uri baseUrl, SourceSecret secret, CancellationToken cancellationToken);

    /// <summary>A failed answer as a delivery failure; a 429 says when the platform's window resets (its own header).</summary>
    protected async Task FailAsync(HttpResponseMessage response, string resetHeader, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var reset = response.Headers.TryGetValues(resetHeader, out var values) ? ResetText(values.FirstOrDefault()) : null;
            throw new TransientDeliveryException($"{ReplyPlatforms.Label(Platform)} is rate-limiting this account (429){(reset is null ? "" : "; its limit resets at " + reset)}");
        }
        await HttpOutcome.EnsureSuccessAsync(response, Platform, cancellationToken);
    }

    /// <summary>Unix seconds (X, Bluesky) or an ISO 8601 time (Mastodon) as a UTC time of day.</summary>
    public static string? ResetText(string? value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            return DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : null;
    }
}

/// <summary>
/// X <c>POST /2/tweets</c> with <c>reply.in_reply_to_tweet_id</c>. X has no idempotency key, so a send whose answer was
/// never recorded (a crash, a timeout) is not repeated: the next dispatch fails it as "may have been sent" for a person
/// to check the account and retry or abandon.
/// </summary>
public sealed class XReplyChannel(IHttpClientFactory http, ReplyOutbox outbox, SourceSecrets secrets) : ReplyChannel(http, outbox, secrets)
{
    public const string MayHaveBeenSent = "may have been sent: an earlier send of this reply got no recorded answer, and X offers no idempotency key to ask it again safely. Check the account's replies, then Retry to send it again or Abandon.";

    public override string Name => ChannelNames.XReply;
    protected override string Platform => "x";

    protected override async Task<string> SendAsync(DeliveryWork work, ReplySend reply, Uri baseUrl, SourceSecret secret, CancellationToken cancellationToken)
    {
        if (reply.UnansweredGeneration == reply.RetryBase)
            throw new PermanentDeliveryException(MayHaveBeenSent);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "/2/tweets"))
        {
            Content = JsonContent.Create(new { text = reply.Text, reply = new { in_reply_to_tweet_id = reply.Thread.TweetId } }),
        };
        secret.Binding.Authorize(request, Platform, secret.Value);
        // Marked before the request leaves: if no answer is recorded, the next dispatch knows X may have it.
        await Outbox.MarkUnansweredAsync(reply.ReplyId, reply.RetryBase, cancellationToken);
        using var response = await Client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // X answered that it did not post: sending again is safe.
            await Outbox.MarkUnansweredAsync(reply.ReplyId, null, CancellationToken.None);
            await FailAsync(response, "x-rate-limit-reset", cancellationToken);
        }
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return created.GetProperty("data").GetProperty("id").GetString()!;
    }
}

/// <summary>
/// Mastodon <c>POST /api/v1/statuses</c> with <c>in_reply_to_id</c>, the parent's visibility, and the delivery's
/// <c>Idempotency-Key</c>: a resend after a crash gets the status already made, so the reply goes out exactly once.
/// </summary>
public sealed class MastodonReplyChannel(IHttpClientFactory http, ReplyOutbox outbox, SourceSecrets secrets) : ReplyChannel(http, outbox, secrets)
{
    public override string Name => ChannelNames.MastodonReply;
    protected override string Platform => "mastodon";

    protected override async Task<string> SendAsync(DeliveryWork work, ReplySend reply, Uri baseUrl, SourceSecret secret, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "/api/v1/statuses"))
        {
            Content = JsonContent.Create(new { status = reply.Text, in_reply_to_id = reply.Thread.StatusId, visibility = reply.Thread.Visibility ?? "public" }),
        };
        secret.Binding.Authorize(request, Platform, secret.Value);
        request.Headers.Add("Idempotency-Key", work.IdempotencyKey.ToString());
        using var response = await Client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            await FailAsync(response, "X-RateLimit-Reset", cancellationToken);
        var status = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return status.GetProperty("id").GetString()!;
    }
}

/// <summary>
/// Bluesky <c>com.atproto.repo.createRecord</c> of an <c>app.bsky.feed.post</c> with <c>reply.root</c> and
/// <c>reply.parent</c>. As for posts (<see cref="BlueskyChannel"/>), the record key is derived from the delivery, so every
/// resend names the same record and <c>getRecord</c> finds one an earlier try made: exactly once.
/// </summary>
public sealed class BlueskyReplyChannel(IHttpClientFactory http, ReplyOutbox outbox, SourceSecrets secrets) : ReplyChannel(http, outbox, secrets)
{
    private readonly ConcurrentDictionary<string, (string Did, string Jwt)> sessions = new(StringComparer.Ordinal);

    public override string Name => ChannelNames.BlueskyReply;
    protected override string Platform => "bluesky";

    protected override async Task<string> SendAsync(DeliveryWork work, ReplySend reply, Uri baseUrl, SourceSecret secret, CancellationToken cancellationToken)
    {
        if (reply.Thread.Parent is not { } parent || reply.Thread.Root is not { } root)
            throw new PermanentDeliveryException("the reply names no Bluesky parent post");
        var sessionKey = baseUrl + "|" + reply.Handle;
        if (!sessions.TryGetValue(sessionKey, out var session))
            session = sessions[sessionKey] = await CreateSessionAsync(baseUrl, reply.Handle!, secret, cancellationToken);
        var rkey = BlueskyChannel.RecordKey(work.CreatedAt, work.Id);
        if (work.Attempt > 1 && await ExistingAsync(baseUrl, session, rkey, cancellationToken) is { } earlier)
            return earlier;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "/xrpc/com.atproto.repo.createRecord"))
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["repo"] = session.Did,
                ["collection"] = BlueskyChannel.PostCollection,
                ["rkey"] = rkey,
                ["record"] = new Dictionary<string, object>
                {
                    ["$type"] = BlueskyChannel.PostCollection,
                    ["text"] = reply.Text,
                    ["createdAt"] = work.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                    ["reply"] = new
                    {
                        root = new { uri = root.Uri, cid = root.Cid },
                        parent = new { uri = parent.Uri, cid = parent.Cid },
                    },
                },
            }),
        };
        secret.Binding.Authorize(request, Platform, session.Jwt);
        using var response = await Client.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            sessions.TryRemove(sessionKey, out _);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.TooManyRequests
            && await ExistingAsync(baseUrl, session, rkey, cancellationToken) is { } made)
            return made;
        if (!response.IsSuccessStatusCode)
            await FailAsync(response, "ratelimit-reset", cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return created.GetProperty("uri").GetString()!;
    }

    private async Task<(string Did, string Jwt)> CreateSessionAsync(Uri baseUrl, string handle, SourceSecret secret, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "/xrpc/com.atproto.server.createSession"))
        {
            Content = JsonContent.Create(new { identifier = handle.TrimStart('@'), password = secret.Value }),
        };
        // The app password goes only where its binding allows, as a bearer token would.
        if (secret.Binding.Refusal(Platform, request.RequestUri!) is { } refusal)
            throw new PermanentDeliveryException(refusal);
        using var response = await Client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            await FailAsync(response, "ratelimit-reset", cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return (body.GetProperty("did").GetString()!, body.GetProperty("accessJwt").GetString()!);
    }

    private async Task<string?> ExistingAsync(Uri baseUrl, (string Did, string Jwt) session, string rkey, CancellationToken cancellationToken)
    {
        var query = $"/xrpc/com.atproto.repo.getRecord?repo={Uri.EscapeDataString(session.Did)}&collection={BlueskyChannel.PostCollection}&rkey={rkey}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, query));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session.Jwt);
        using var response = await Client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            return null;
        var record = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return record.GetProperty("uri").GetString();
    }
}
