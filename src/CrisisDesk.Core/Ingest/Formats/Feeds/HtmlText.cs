using System.Net;
using System.Text;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// Feed summaries are HTML fragments (often escaped twice): this keeps only their text, with block breaks as spaces
/// or newlines, script and style bodies dropped and entities decoded. The result is shown as text, never as markup.
/// </summary>
public static class HtmlText
{
    private static readonly HashSet<string> BlockTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "figcaption", "hr", "section", "article",
    };

    public static string ToPlainText(string? html, int maxLength = int.MaxValue)
    {
        if (string.IsNullOrEmpty(html))
        {
            return string.Empty;
        }

        var text = html.Contains('<', StringComparison.Ordinal) ? StripTags(html) : html;
        text = WebUtility.HtmlDecode(text);
        return CollapseWhitespace(text, maxLength);
    }

    private static string StripTags(string html)
    {
        var output = new StringBuilder(html.Length);
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c != '<')
            {
                output.Append(c);
                i++;
                continue;
            }

            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                var endComment = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = endComment < 0 ? html.Length : endComment + 3;
                continue;
            }

            var close = html.IndexOf('>', i + 1);
            if (close < 0 || (i + 1 < html.Length && !(char.IsLetter(html[i + 1]) || html[i + 1] is '/' or '!' or '?')))
            {
                output.Append(c); // a bare "<" in text ("a < b") is text, not a tag
                i++;
                continue;
            }

            var name = TagName(html, i + 1, close);
            if (name.Equals("script", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase))
            {
                var end = html.IndexOf("</" + name, close, StringComparison.OrdinalIgnoreCase);
                var endClose = end < 0 ? -1 : html.IndexOf('>', end);
                i = endClose < 0 ? html.Length : endClose + 1;
                continue;
            }

            if (BlockTags.Contains(name))
            {
                output.Append(name.Equals("br", StringComparison.OrdinalIgnoreCase) || name.Equals("p", StringComparison.OrdinalIgnoreCase) ? '\n' : ' ');
            }

            i = close + 1;
        }

        return output.ToString();
    }

    private static string TagName(string html, int start, int end)
    {
        if (start < end && html[start] == '/')
        {
            start++;
        }

        var stop = start;
        while (stop < end && (char.IsLetterOrDigit(html[stop]) || html[stop] == ':'))
        {
            stop++;
        }

        return html[start..stop];
    }

    private static string CollapseWhitespace(string text, int maxLength)
    {
        var output = new StringBuilder(Math.Min(text.Length, maxLength));
        var pendingSpace = false;
        var pendingNewline = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == '\u00A0')
            {
                if (c == '\n')
                {
                    pendingNewline = true;
                }

                pendingSpace = true;
                continue;
            }

            if (char.IsControl(c))
            {
                continue;
            }

            if (pendingSpace && output.Length > 0)
            {
                output.Append(pendingNewline ? '\n' : ' ');
            }

            pendingSpace = pendingNewline = false;
            output.Append(c);
            if (output.Length >= maxLength)
            {
                return TrimToWord(output.ToString(), maxLength);
            }
        }

        return output.ToString();
    }

    private static string TrimToWord(string text, int maxLength)
    {
        var cut = text.LastIndexOf(' ', Math.Min(text.Length - 1, maxLength - 1));
        return (cut > maxLength / 2 ? text[..cut] : text[..maxLength]) + "…";
    }
}
