namespace CrisisDesk.Web.Features.Triage;

/// <summary>
/// How much of a post's text a page shows. A post can be megabytes long (a paste, an attack); the browser lays out
/// every character it is sent, so the war room reads and renders only the start of it: a feed card a short excerpt,
/// the selected-post drawer a longer one, each saying how much more there is.
/// </summary>
public static class PostText
{
    /// <summary>Characters a feed card shows.</summary>
    public const int CardChars = 1_000;

    /// <summary>Characters the selected-post drawer shows.</summary>
    public const int DrawerChars = 20_000;

    /// <summary>What the queries read for a card: one character more than it shows, so a cut is known without the length.</summary>
    public const int CardRead = CardChars + 1;

    public const int DrawerRead = DrawerChars + 1;

    /// <summary>The text cut to at most <paramref name="max"/> characters (never inside a surrogate pair), and whether it was cut.</summary>
    public static (string Shown, bool Cut) Excerpt(string text, int textLength, int max)
    {
        if (text.Length <= max && textLength <= max)
            return (text, false);
        var end = Math.Min(max, text.Length);
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
            end--;
        return (text[..end], true);
    }

    /// <summary>"1,234,567 characters" for the note under a cut text.</summary>
    public static string Length(int characters) => characters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " characters";
}
