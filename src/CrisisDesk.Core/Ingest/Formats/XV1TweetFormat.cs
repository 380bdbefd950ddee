using System.Globalization;
using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// A tweet object of the X (Twitter) API v1.1, as archived by research data sets such as PHEME:
/// <c>id_str</c>, <c>created_at</c> ("Wed Mar 25 12:24:34 +0000 2015"), <c>text</c> or <c>full_text</c>, <c>user</c>, <c>entities</c>.
/// </summary>
public sealed class XV1TweetFormat : IPostNormaliser
{
    public const string Name = "x.v1.tweet";

    public string Format => Name;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        using var document = PayloadText.ParseJson(payload, out var error);
        if (document is null)
            return NormaliseResult.Malformed(error!);
        return Normalise(document.RootElement);
    }

    public static NormaliseResult Normalise(JsonElement tweet)
    {
        if (tweet.ValueKind != JsonValueKind.Object)
            return NormaliseResult.Malformed($"a tweet must be a JSON object, not {tweet.ValueKind}");
        var id = tweet.TryGetProperty("id_str", out var idStr) && idStr.ValueKind == JsonValueKind.String ? idStr.GetString()
            : tweet.TryGetProperty("id", out var idNumber) && idNumber.ValueKind == JsonValueKind.Number ? idNumber.GetRawText() : null;
        if (string.IsNullOrEmpty(id))
            return NormaliseResult.Malformed("the tweet has no id_str or id");
        if (!tweet.TryGetProperty("created_at", out var createdAt) || createdAt.ValueKind != JsonValueKind.String
            || !TryParseCreatedAt(createdAt.GetString()!, out var created))
            return NormaliseResult.Malformed($"tweet {id} has no created_at in the v1.1 form \"ddd MMM dd HH:mm:ss +zzzz yyyy\"");
        var text = tweet.TryGetProperty("full_text", out var fullText) && fullText.ValueKind == JsonValueKind.String ? fullText.GetString()
            : tweet.TryGetProperty("text", out var shortText) && shortText.ValueKind == JsonValueKind.String ? shortText.GetString() : null;
        if (text is null)
            return NormaliseResult.Malformed($"tweet {id} has no text");

        string? handle = null, name = null;
        var verified = false;
        if (tweet.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object)
        {
            handle = StringOrNull(user, "screen_name");
            name = StringOrNull(user, "name");
            // The platform's verified mark: in archives such as PHEME it is what tells a news desk or agency from the crowd.
            verified = user.TryGetProperty("verified", out var mark) && mark.ValueKind == JsonValueKind.True;
        }
        var hasMedia = HasArrayItems(tweet, "extended_entities", "media") || HasArrayItems(tweet, "entities", "media");
        string? veracity = StringOrNull(tweet, "VERACITY");
        return NormaliseResult.Ok(new Post
        {
            Platform = "x",
            ExternalId = id,
            CreatedAt = created,
            AuthorHandle = handle,
            AuthorName = name,
            // The v1.1 API escaped &, < and > in text; the post is shown as text, so unescape them once here.
            Text = System.Net.WebUtility.HtmlDecode(text),
            Url = handle is null ? $"https://x.com/i/web/status/{id}" : $"https://x.com/{handle}/status/{id}",
            Language = StringOrNull(tweet, "lang") is { } lang && lang != "und" ? lang : null,
            HasMedia = hasMedia,
            Extra = PayloadText.ExtraJson([("veracity", veracity), ("verified", verified ? "true" : null), ("thumbnail", PhotoUrl(tweet)),
                .. PostPlace.FromTweetV1(tweet) is { } place ? PostPlace.Members(place.Box, place.Kind) : []]),
        });
    }

    public static bool TryParseCreatedAt(string value, out DateTimeOffset created) =>
        DateTimeOffset.TryParseExact(value, "ddd MMM dd HH:mm:ss zzz yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out created);

    private static string? StringOrNull(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The first attached photo's https address (a video's still counts), for a thumbnail beside the post.</summary>
    private static string? PhotoUrl(JsonElement tweet)
    {
        foreach (var container in (string[])["extended_entities", "entities"])
        {
            if (!tweet.TryGetProperty(container, out var entities) || entities.ValueKind != JsonValueKind.Object
                || !entities.TryGetProperty("media", out var media) || media.ValueKind != JsonValueKind.Array)
                continue;
            foreach (var item in media.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && StringOrNull(item, "media_url_https") is { } url
                    && url.StartsWith("https://", StringComparison.Ordinal))
                    return url;
            }
        }
        return null;
    }

    private static bool HasArrayItems(JsonElement tweet, string container, string array) =>
        tweet.TryGetProperty(container, out var entities) && entities.ValueKind == JsonValueKind.Object
        && entities.TryGetProperty(array, out var items) && items.ValueKind == JsonValueKind.Array && items.GetArrayLength() > 0;
}
