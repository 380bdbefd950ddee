using System.Globalization;
using System.Net;
using System.Text;

namespace CrisisDesk.Core.Stories;

/// <summary>
/// Reduces a post to the words that carry its message, so that copies of one message compare equal:
/// retweet markers, links, @mentions, casing, accents, punctuation, emoji and HTML entities are dropped.
/// </summary>
public static class StoryTextNormaliser
{
    // Words that mark how a copy was made, not what it says.
    private static readonly HashSet<string> CopyMarkers = new(StringComparer.Ordinal) { "rt", "mt", "via" };

    public static IReadOnlyList<string> Tokenise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>(24);
        if (text.Length == 0)
        {
            return tokens;
        }

        if (text.Contains('&', StringComparison.Ordinal))
        {
            text = WebUtility.HtmlDecode(text);
        }

        if (!text.IsNormalized(NormalizationForm.FormKC))
        {
            text = text.Normalize(NormalizationForm.FormKC);
        }

        var trimmed = text.AsSpan().TrimEnd();
        // Old-style retweets were cut at 140 characters and ended with "..." or "…": the last word may be cut too.
        var truncated = trimmed.EndsWith("...", StringComparison.Ordinal) || trimmed.EndsWith("…", StringComparison.Ordinal);

        var word = new StringBuilder(32);
        foreach (var chunkRange in trimmed.SplitAny(" \n\r\t\u00a0".AsSpan()))
        {
            var chunk = trimmed[chunkRange];
            if (chunk.IsEmpty || IsLinkOrMention(chunk))
            {
                continue;
            }

            foreach (var c in chunk)
            {
                if (c is '\'' or '\u2019')
                {
                    continue; // "Pike's" and "Pikes" are the same word.
                }

                if (char.IsLetterOrDigit(c))
                {
                    AppendFolded(word, c);
                }
                else
                {
                    Flush(word, tokens);
                }
            }

            Flush(word, tokens);
        }

        if (truncated && tokens.Count > 0)
        {
            tokens.RemoveAt(tokens.Count - 1);
        }

        return tokens;
    }

    private static bool IsLinkOrMention(ReadOnlySpan<char> chunk)
    {
        if (chunk.Contains("://", StringComparison.Ordinal))
        {
            return true;
        }

        // Quote copies wrap the mention: “@user: ... or (@user)
        var start = chunk.TrimStart("\"“‘'([.".AsSpan());
        return start.StartsWith("@", StringComparison.Ordinal)
            || start.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            || start.StartsWith("www.", StringComparison.OrdinalIgnoreCase);
    }

    private static void AppendFolded(StringBuilder word, char c)
    {
        if (c < 128)
        {
            word.Append(char.ToLowerInvariant(c));
            return;
        }

        // Fold accents (Düsseldorf = Dusseldorf) by dropping combining marks of the decomposed form.
        var decomposed = c.ToString().Normalize(NormalizationForm.FormD);
        foreach (var d in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(d) != UnicodeCategory.NonSpacingMark)
            {
                word.Append(char.ToLowerInvariant(d));
            }
        }
    }

    private static void Flush(StringBuilder word, List<string> tokens)
    {
        if (word.Length == 0)
        {
            return;
        }

        var token = word.ToString();
        word.Clear();
        if (!CopyMarkers.Contains(token))
        {
            tokens.Add(token);
        }
    }
}
