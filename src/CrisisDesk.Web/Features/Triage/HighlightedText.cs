namespace CrisisDesk.Web.Features.Triage;

/// <summary>One run of a post's text, highlighted when it matched the search.</summary>
public readonly record struct TextRun(string Text, bool Highlighted);

/// <summary>
/// Splits PostgreSQL's <c>ts_headline</c> output into runs. The database marks matches with two private-use characters
/// (removed from the post text first, so a post cannot forge them); the page wraps highlighted runs in its own
/// <c>&lt;mark&gt;</c> and renders every run as text, so nothing from a post is ever markup.
/// </summary>
public static class HighlightedText
{
    public const char Start = '\uE000';
    public const char Stop = '\uE001';

    public static IReadOnlyList<TextRun> Parse(string? headline)
    {
        if (string.IsNullOrEmpty(headline))
            return [];
        var runs = new List<TextRun>();
        var highlighted = false;
        var from = 0;
        for (var i = 0; i < headline.Length; i++)
        {
            var c = headline[i];
            if (c != Start && c != Stop)
                continue;
            if (i > from)
                runs.Add(new TextRun(headline[from..i], highlighted));
            highlighted = c == Start;
            from = i + 1;
        }
        if (from < headline.Length)
            runs.Add(new TextRun(headline[from..], highlighted));
        return runs;
    }
}
