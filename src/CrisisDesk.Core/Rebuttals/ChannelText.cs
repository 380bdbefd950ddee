using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CrisisDesk.Core.Rebuttals;

/// <summary>The places a rebuttal or an alert's text is written for, each with its own way of counting.</summary>
public enum TextChannel { X, Mastodon, Bluesky, Sms, WeaShort, WeaLong }

/// <summary>
/// How long a text is on one channel, in that channel's unit, against its limit. <see cref="Segments"/> and
/// <see cref="Encoding"/> are set for SMS only.
/// </summary>
public sealed record TextLength(TextChannel Channel, int Used, int Limit, string Unit, int? Segments = null, string? Encoding = null)
{
    public bool Fits => Used <= Limit && (Segments is null || Segments <= ChannelText.SmsMaxSegments);
    public int Remaining => Limit - Used;
}

/// <summary>
/// Counts text the way each platform does, so that the counter an operator sees agrees with what the platform will
/// accept: X's weighted length (twitter-text v3), Mastodon's code points with links as 23, Bluesky's graphemes,
/// SMS septets or UCS-2 code units per segment, and the 90/360-character wireless emergency alert texts.
/// </summary>
public static partial class ChannelText
{
    public const int XLimit = 280;
    public const int MastodonLimit = 500;
    public const int BlueskyLimit = 300;
    public const int WeaShortLimit = 90;
    public const int WeaLongLimit = 360;

    /// <summary>What a link costs on X and Mastodon, whatever its real length (both shorten or fix it at 23).</summary>
    public const int LinkLength = 23;

    public const int GsmSingleSegment = 160;
    public const int GsmPerSegment = 153;
    public const int Ucs2SingleSegment = 70;
    public const int Ucs2PerSegment = 67;

    /// <summary>The SMS limit we allow a rebuttal: three concatenated segments, what most gateways deliver reliably.</summary>
    public const int SmsMaxSegments = 3;

    public static TextLength Count(TextChannel channel, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return channel switch
        {
            TextChannel.X => new(channel, XWeightedLength(text), XLimit, "weighted characters"),
            TextChannel.Mastodon => new(channel, MastodonLength(text), MastodonLimit, "characters"),
            TextChannel.Bluesky => new(channel, Graphemes(text), BlueskyLimit, "graphemes"),
            TextChannel.Sms => Sms(text),
            TextChannel.WeaShort => new(channel, CodePoints(text), WeaShortLimit, "characters"),
            TextChannel.WeaLong => new(channel, CodePoints(text), WeaLongLimit, "characters"),
            _ => throw new ArgumentOutOfRangeException(nameof(channel)),
        };
    }

    public static IReadOnlyList<TextLength> CountAll(IReadOnlyDictionary<TextChannel, string> variants) =>
        [.. variants.Select(v => Count(v.Key, v.Value))];

    // Links as X and Mastodon recognise them in plain text: a scheme or a leading www., up to whitespace, without the
    // punctuation that usually ends a sentence.
    [GeneratedRegex(@"(?:https?://|www\.)[^\s<>""]+?(?=[.,;:!?)\]'""]*(?:\s|$))", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Link();

    // Mastodon counts a remote mention @user@domain as @user only.
    [GeneratedRegex(@"(?<=^|[^\w/])@(\w+)@[\w.-]+\w", RegexOptions.CultureInvariant)]
    private static partial Regex RemoteMention();

    /// <summary>
    /// X's weighted length (twitter-text v3 configuration): text NFC-normalised; each link 23; each emoji sequence 2;
    /// every other code point 1 when in the Latin-and-punctuation ranges (U+0000–U+10FF, U+2000–U+200D,
    /// U+2010–U+201F, U+2032–U+2037) and 2 otherwise (so Chinese, Japanese and Korean count double).
    /// </summary>
    public static int XWeightedLength(string text)
    {
        text = text.Normalize(NormalizationForm.FormC);
        var weight = 0;
        var position = 0;
        foreach (Match link in Link().Matches(text))
        {
            weight += WeighPlain(text[position..link.Index]);
            weight += LinkLength;
            position = link.Index + link.Length;
        }
        return weight + WeighPlain(text[position..]);
    }

    private static int WeighPlain(string text)
    {
        var weight = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var element = (string)elements.Current;
            if (IsEmoji(element))
            {
                weight += 2;
                continue;
            }
            foreach (var rune in element.EnumerateRunes())
                weight += IsLightOnX(rune.Value) ? 1 : 2;
        }
        return weight;
    }

    private static bool IsLightOnX(int codePoint) =>
        codePoint is (>= 0x0000 and <= 0x10FF) or (>= 0x2000 and <= 0x200D) or (>= 0x2010 and <= 0x201F) or (>= 0x2032 and <= 0x2037);

    /// <summary>A grapheme drawn as an emoji: a pictograph, a flag, or a sequence joined or varied into one.</summary>
    private static bool IsEmoji(string grapheme)
    {
        foreach (var rune in grapheme.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is (>= 0x1F000 and <= 0x1FAFF) or 0xFE0F or 0x200D)
                return true;
        }
        return false;
    }

    /// <summary>Mastodon: code points, each link 23, a remote mention counted without its domain.</summary>
    public static int MastodonLength(string text)
    {
        var withoutDomains = RemoteMention().Replace(text, m => "@" + m.Groups[1].Value);
        var length = 0;
        var position = 0;
        foreach (Match link in Link().Matches(withoutDomains))
        {
            length += CodePoints(withoutDomains[position..link.Index]) + LinkLength;
            position = link.Index + link.Length;
        }
        return length + CodePoints(withoutDomains[position..]);
    }

    /// <summary>Bluesky: user-perceived characters (extended grapheme clusters).</summary>
    public static int Graphemes(string text) => new StringInfo(text).LengthInTextElements;

    public static int CodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
            count++;
        return count;
    }

    // GSM 03.38 default alphabet (ESC excluded) and its extension table, whose characters take an escape septet too.
    private const string GsmBasic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string GsmExtension = "\f^{}\\[~]|€";

    /// <summary>
    /// SMS: GSM-7 when every character is in the default alphabet or its extension (an extension character costs two
    /// septets), 160 in one message or 153 per segment when concatenated; otherwise UCS-2, 70 or 67 UTF-16 units per
    /// segment. An escape pair or a surrogate pair is never split across segments.
    /// </summary>
    public static TextLength Sms(string text)
    {
        var units = new List<int>();
        var gsm = true;
        foreach (var c in text)
        {
            if (GsmBasic.Contains(c, StringComparison.Ordinal))
                units.Add(1);
            else if (GsmExtension.Contains(c, StringComparison.Ordinal))
                units.Add(2);
            else
            {
                gsm = false;
                break;
            }
        }
        if (!gsm)
        {
            units.Clear();
            for (var i = 0; i < text.Length; i++)
            {
                var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                units.Add(pair ? 2 : 1);
                if (pair)
                    i++;
            }
        }
        var total = units.Sum();
        var (single, perSegment) = gsm ? (GsmSingleSegment, GsmPerSegment) : (Ucs2SingleSegment, Ucs2PerSegment);
        var segments = total == 0 ? 0 : total <= single ? 1 : Pack(units, perSegment);
        var limit = SmsMaxSegments * perSegment;
        return new TextLength(TextChannel.Sms, total, limit, gsm ? "GSM-7 septets" : "UCS-2 units", segments, gsm ? "GSM-7" : "UCS-2");
    }

    private static int Pack(List<int> units, int perSegment)
    {
        var segments = 1;
        var used = 0;
        foreach (var unit in units)
        {
            if (used + unit > perSegment)
            {
                segments++;
                used = 0;
            }
            used += unit;
        }
        return segments;
    }
}
