using System.Globalization;
using System.Text;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest;

/// <summary>
/// What every normalised post goes through before it is written, whatever its platform: characters PostgreSQL
/// refuses are replaced, and text longer than its platform allows is cut with a marker. One bad item then never reaches
/// the database to block its source's batch, and one huge post never reaches the war room.
/// </summary>
public static class StorablePost
{
    /// <summary>What a character PostgreSQL refuses (NUL, a lone UTF-16 surrogate) becomes: U+FFFD, the replacement character.</summary>
    public const char Replacement = '\uFFFD';

    /// <summary>
    /// The largest raw item taken as one post (1 MiB). No platform's post comes near it (an X post with all its
    /// expansions is tens of KB); a bigger one is quarantined whole, with the reason, never stored as a post.
    /// </summary>
    public const int MaxRawItemBytes = 1024 * 1024;

    /// <summary>The longest text kept for a platform not listed in <see cref="MaxTextLengths"/>.</summary>
    public const int DefaultMaxTextLength = 100_000;

    /// <summary>
    /// The longest text kept per platform, in UTF-16 characters, each above the platform's own limit so that no real
    /// post is ever cut: X long posts 25,000; Mastodon 500 by default but instances raise it, so 100,000; Bluesky's
    /// post text is at most 3,000 UTF-8 bytes (300 graphemes), never more than 3,000 characters; a news summary and a
    /// CAP alert's headline and description have no set limit, so 50,000.
    /// </summary>
    public static IReadOnlyDictionary<string, int> MaxTextLengths { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["x"] = 25_000,
        ["mastodon"] = 100_000,
        ["bluesky"] = 3_000,
        ["news"] = 50_000,
        ["cap"] = 50_000,
    };

    public static int MaxTextLength(string platform) => MaxTextLengths.GetValueOrDefault(platform, DefaultMaxTextLength);

    /// <summary>Why a raw item is too big to be a post, or null when it is not.</summary>
    public static string? RefuseRaw(int bytes) => bytes > MaxRawItemBytes
        ? $"refused: the item is {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes, over the {MaxRawItemBytes.ToString("N0", CultureInfo.InvariantCulture)}-byte limit for one post; kept here whole, not stored as a post"
        : null;

    /// <summary>The post with every text storable and its text within its platform's limit.</summary>
    public static Post Clean(Post post)
    {
        var text = Truncate(Text(post.Text), MaxTextLength(post.Platform));
        var clean = post with
        {
            Platform = Text(post.Platform),
            ExternalId = Text(post.ExternalId),
            AuthorHandle = Text(post.AuthorHandle),
            AuthorName = Text(post.AuthorName),
            Text = text,
            Url = Text(post.Url),
            Language = Text(post.Language),
            Extra = Json(post.Extra),
        };
        return clean == post ? post : clean;
    }

    /// <summary>The text cut to <paramref name="max"/> characters (never inside a surrogate pair), ending with a marker saying how long it was.</summary>
    public static string Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }
        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, cut),
            $"\n[… truncated by CrisisDesk: {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters in all, {max.ToString("N0", CultureInfo.InvariantCulture)} kept]");
    }

    /// <summary>NUL and lone surrogates replaced by <see cref="Replacement"/>; the same instance when there are none.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public static string? Text(string? text)
    {
        if (text is null || (text.AsSpan().IndexOf('\0') < 0 && text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0))
        {
            return text;
        }
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Append(c).Append(text[++i]);
            }
            else
            {
                result.Append(c == '\0' || char.IsSurrogate(c) ? Replacement : c);
            }
        }
        return result.ToString();
    }

    /// <summary>
    /// A JSON text PostgreSQL's jsonb accepts: besides raw NUL and lone surrogates, the escapes <c>\u0000</c> and lone
    /// surrogate escapes (which jsonb refuses) become <c>\uFFFD</c>. Everything else is left exactly as it was.
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(json))]
    public static string? Json(string? json)
    {
        json = Text(json);
        if (json is null || !json.Contains("\\u", StringComparison.OrdinalIgnoreCase))
        {
            return json;
        }
        var result = new StringBuilder(json.Length);
        var changed = false;
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] != '\\' || i + 1 >= json.Length)
            {
                result.Append(json[i]);
                continue;
            }
            if (json[i + 1] != 'u' || EscapedUnit(json, i) is not { } unit)
            {
                result.Append(json, i, 2); // any other escape, including an escaped backslash, as it is
                i++;
                continue;
            }
            var keep = unit != 0 && !char.IsSurrogate((char)unit);
            if (char.IsHighSurrogate((char)unit) && EscapedUnit(json, i + 6) is { } low && char.IsLowSurrogate((char)low))
            {
                result.Append(json, i, 12);
                i += 11;
                continue;
            }
            if (keep)
            {
                result.Append(json, i, 6);
            }
            else
            {
                result.Append("\\uFFFD");
                changed = true;
            }
            i += 5;
        }
        return changed ? result.ToString() : json;
    }

    /// <summary>The UTF-16 unit of a <c>\uXXXX</c> escape starting at <paramref name="at"/>, or null when there is none.</summary>
    private static int? EscapedUnit(string json, int at) =>
        at + 6 <= json.Length && json[at] == '\\' && json[at + 1] == 'u'
        && int.TryParse(json.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit)
            ? unit
            : null;
}
