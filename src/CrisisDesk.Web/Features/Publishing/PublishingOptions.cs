using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>How the public sees us and how hard the dispatcher tries (<c>CrisisDesk:Publishing</c>).</summary>
public sealed class PublishingOptions
{
    public const string Section = "CrisisDesk:Publishing";

    // Links start at CrisisDesk:PublicBaseUrl (PublicUrl), the one public root of the whole site.

    /// <summary>CAP sender id (no spaces, commas, '&lt;' or '&amp;'), for example <c>alerts@riverside.gov.uk</c>.</summary>
    public string Sender { get; set; } = "crisisdesk@localhost";

    public string FeedTitle { get; set; } = "CrisisDesk emergency alerts";
    public string FeedAuthor { get; set; } = "CrisisDesk";

    /// <summary>How often the dispatcher looks for due deliveries when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a dispatcher owns a delivery it is sending; after that another may take it over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Each HTTP call's time limit.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Quick retries inside one dispatch (jittered, exponential from <see cref="RetryBaseDelay"/>).</summary>
    public int Retries { get; set; } = 3;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Dispatches (each with its quick retries) before a delivery is marked failed for a person to look at.</summary>
    public int MaxDispatches { get; set; } = 5;

    /// <summary>The wait before the next dispatch of a delivery that failed transiently (doubles each time).</summary>
    public TimeSpan RedispatchDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Where each outside channel is and how to sign in to it (<c>CrisisDesk:Channels</c>). A channel without its address
/// is off. Secrets live here (configuration, user secrets, environment) and nowhere else: never in a delivery row,
/// an event or a log line.
/// </summary>
public sealed class ChannelOptions
{
    public const string Section = "CrisisDesk:Channels";

    public WebhookOptions Webhook { get; set; } = new();
    public MastodonOptions Mastodon { get; set; } = new();
    public XOptions X { get; set; } = new();
    public BlueskyOptions Bluesky { get; set; } = new();

    public sealed class WebhookOptions
    {
        public Uri? Url { get; set; }

        /// <summary>The shared secret of the HMAC-SHA256 signature.</summary>
        public string? Secret { get; set; }
    }

    public sealed class MastodonOptions
    {
        /// <summary>The instance, for example https://mastodon.example.</summary>
        public Uri? BaseUrl { get; set; }

        public string? AccessToken { get; set; }
        public string Visibility { get; set; } = "public";
    }

    public sealed class XOptions
    {
        /// <summary>https://api.x.com in production.</summary>
        public Uri? BaseUrl { get; set; }

        /// <summary>An OAuth 2.0 user-context access token with tweet.write.</summary>
        public string? AccessToken { get; set; }
    }

    public sealed class BlueskyOptions
    {
        /// <summary>The account's PDS, for example https://bsky.social.</summary>
        public Uri? ServiceUrl { get; set; }

        /// <summary>Handle or DID.</summary>
        public string? Identifier { get; set; }

        /// <summary>An app password (never the account password).</summary>
        public string? AppPassword { get; set; }
    }
}

/// <summary>
/// Checks <c>CrisisDesk:Channels</c> at start: a channel is either off (nothing set) or fully set with absolute http(s)
/// addresses. A channel half set (an address without its token, say) would otherwise be silently off, and an alert
/// meant for it would go everywhere else without a word, in the worst hour to find out.
/// </summary>
public sealed class ChannelOptionsValidation : IValidateOptions<ChannelOptions>
{
    private static readonly string[] MastodonVisibilities = ["public", "unlisted", "private", "direct"];

    public ValidateOptionsResult Validate(string? name, ChannelOptions options)
    {
        var problems = new List<string>();
        const string Section = ChannelOptions.Section;
        Channel(problems, "Webhook", ("Url", options.Webhook.Url), ("Secret", options.Webhook.Secret));
        Channel(problems, "Mastodon", ("BaseUrl", options.Mastodon.BaseUrl), ("AccessToken", options.Mastodon.AccessToken));
        if (!MastodonVisibilities.Contains(options.Mastodon.Visibility, StringComparer.Ordinal))
            problems.Add($"{Section}:Mastodon:Visibility must be one of {string.Join(", ", MastodonVisibilities)}, not \"{options.Mastodon.Visibility}\".");
        Channel(problems, "X", ("BaseUrl", options.X.BaseUrl), ("AccessToken", options.X.AccessToken));
        Channel(problems, "Bluesky", ("ServiceUrl", options.Bluesky.ServiceUrl), ("Identifier", options.Bluesky.Identifier), ("AppPassword", options.Bluesky.AppPassword));
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Channel(List<string> problems, string channel, params (string Key, object? Value)[] settings)
    {
        var set = settings.Where(s => s.Value is Uri || !string.IsNullOrEmpty(s.Value as string)).Select(s => s.Key).ToList();
        if (set.Count > 0 && set.Count < settings.Length)
        {
            var missing = settings.Select(s => s.Key).Except(set);
            problems.Add($"{ChannelOptions.Section}:{channel} is half set: {string.Join(" and ", missing.Select(k => $"{channel}:{k}"))} missing beside {string.Join(" and ", set.Select(k => $"{channel}:{k}"))}. Set all of it, or none to leave the channel off.");
        }
        foreach (var (key, value) in settings)
        {
            if (value is Uri uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
                problems.Add($"{ChannelOptions.Section}:{channel}:{key} must be an absolute http(s) address, not \"{uri}\".");
        }
    }
}
