using CrisisDesk.Core.Rebuttals;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>The channel names as stored in <c>deliveries.channel</c>.</summary>
public static class ChannelNames
{
    public const string CapFeed = "cap-feed";
    public const string Webhook = "webhook";
    public const string Mastodon = "mastodon";
    public const string X = "x";
    public const string Bluesky = "bluesky";

    // Replies in thread (Features/Replies): one channel per platform, sent with the incident's own account.
    public const string XReply = "x-reply";
    public const string MastodonReply = "mastodon-reply";
    public const string BlueskyReply = "bluesky-reply";

    /// <summary>The channel a reply on <paramref name="platform"/> goes out through.</summary>
    public static string ReplyChannelOf(string platform) => platform + "-reply";
    /// <summary>Email and SMS to people (the Notifications feature's channels).</summary>
    public const string Email = "email";
    public const string Sms = "sms";

    /// <summary>Email and SMS recipient lists (the RecipientLists feature): one delivery per list, receipts per recipient.</summary>
    public const string EmailList = "email-list";
    public const string SmsList = "sms-list";

    public static bool IsList(string channel) => channel is EmailList or SmsList;

    /// <summary>Channels an alert can go to (in display order).</summary>
    public static IReadOnlyList<string> ForAlerts { get; } = [CapFeed, Webhook, Mastodon, X, Bluesky];

    /// <summary>Channels a rebuttal can go to: the social ones.</summary>
    public static IReadOnlyList<string> Social { get; } = [Mastodon, X, Bluesky];

    /// <summary>The text variant a social channel posts.</summary>
    public static TextChannel? TextChannelOf(string channel) => channel switch
    {
        Mastodon => TextChannel.Mastodon,
        X => TextChannel.X,
        Bluesky => TextChannel.Bluesky,
        _ => null,
    };

    public static string Label(string channel) => channel switch
    {
        CapFeed => "Public CAP feed",
        Webhook => "Webhook",
        Mastodon => "Mastodon",
        X => "X",
        Bluesky => "Bluesky",
        XReply => "X (reply)",
        MastodonReply => "Mastodon (reply)",
        BlueskyReply => "Bluesky (reply)",
        Email => "Email",
        Sms => "SMS",
        EmailList => "Email list",
        SmsList => "SMS list",
        _ => channel,
    };
}

/// <summary>One delivery as a dispatcher sends it: what to send, where, and the key that makes a resend harmless.</summary>
public sealed record DeliveryWork
{
    public required long Id { get; init; }
    public required int IncidentId { get; init; }
    public required string Channel { get; init; }
    public required Guid IdempotencyKey { get; init; }

    /// <summary>1 on the first dispatch; more means an earlier dispatch may have reached the channel.</summary>
    public required int Attempt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public int? AlertId { get; init; }
    public string? AlertIdentifier { get; init; }
    public string? CapXml { get; init; }
    public int? RebuttalId { get; init; }

    /// <summary>A notification to one person (email, SMS); its channel reads what to say and to whom.</summary>
    public long? NotificationId { get; init; }

    /// <summary>The text a social channel posts (already fitted to the channel and marked for drills).</summary>
    public string? Text { get; init; }
}

/// <summary>A channel refused the delivery in a way that another try cannot fix (bad credentials, invalid content).</summary>
public sealed class PermanentDeliveryException(string message) : Exception(message);

/// <summary>A channel failed in a way that a later try may fix (timeout, 5xx, 429, network).</summary>
public sealed class TransientDeliveryException(string message) : Exception(message);

/// <summary>Sends one delivery to one outside channel and returns its receipt (the post's id or URL).</summary>
public interface IDeliveryChannel
{
    string Name { get; }

    /// <summary>Configured (address and credentials present).</summary>
    bool IsConfigured { get; }

    Task<string> SendAsync(DeliveryWork work, CancellationToken cancellationToken);
}

/// <summary>Sorts an HTTP answer into success, a permanent refusal or a transient failure, without echoing secrets.</summary>
internal static class HttpOutcome
{
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string channel, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (body.Length > 300)
            body = body[..300] + "…";
        var status = (int)response.StatusCode;
        var message = $"{ChannelNames.Label(channel)} answered {status} {response.ReasonPhrase}: {body}";
        if (status is 408 or 429 || status >= 500)
            throw new TransientDeliveryException(message);
        throw new PermanentDeliveryException(message);
    }
}
