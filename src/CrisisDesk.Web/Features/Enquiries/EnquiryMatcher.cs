using System.Globalization;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>
/// Whether a post asks the organisation something: it mentions one of the incident's accounts and, when the rule
/// requires a question, holds a question mark or starts a sentence with one of the question words. Pure, so the rule
/// an Admin tunes is tested exactly as the detector applies it.
/// </summary>
public static class EnquiryMatcher
{
    public const string Mention = "mention";
    public const string Question = "question";
    public const string Marked = "marked";

    /// <summary>The reason the post is an enquiry (<see cref="Question"/> or <see cref="Mention"/>), or null when it is not one.</summary>
    /// <param name="handles">The incident's accounts as configured: <c>@name</c> (X), <c>name@instance</c> (Mastodon), <c>name.bsky.social</c> (Bluesky).</param>
    public static string? Match(string text, IEnumerable<string> handles, bool requireQuestion, IReadOnlyCollection<string> questionWords)
    {
        if (string.IsNullOrEmpty(text) || !handles.Any(h => Mentions(text, h)))
            return null;
        if (IsQuestion(text, questionWords))
            return Question;
        return requireQuestion ? null : Mention;
    }

    /// <summary>The text mentions the handle: <c>@handle</c> whole (not inside a longer name), any case.</summary>
    public static bool Mentions(string text, string handle)
    {
        var name = handle.Trim().TrimStart('@');
        if (name.Length == 0)
            return false;
        // A Mastodon account is mentioned as @name@instance, or as @name by people on its own instance.
        var forms = name.Contains('@', StringComparison.Ordinal) ? new[] { name, name[..name.IndexOf('@', StringComparison.Ordinal)] } : [name];
        foreach (var form in forms)
        {
            var needle = "@" + form;
            for (var at = text.IndexOf(needle, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(needle, at + 1, StringComparison.OrdinalIgnoreCase))
            {
                var before = at == 0 ? ' ' : text[at - 1];
                var end = at + needle.Length;
                var after = end < text.Length ? text[end] : ' ';
                // "@riverside" must not match "@riversidefc" or "x@riverside"; "@riverside@other.social" is someone else.
                var boundaryBefore = !char.IsLetterOrDigit(before) && before != '_';
                var boundaryAfter = !char.IsLetterOrDigit(after) && after is not ('_' or '@') && !(after == '.' && end + 1 < text.Length && char.IsLetterOrDigit(text[end + 1]));
                if (boundaryBefore && boundaryAfter)
                    return true;
            }
        }
        return false;
    }

    /// <summary>A question mark anywhere, or a sentence (after mentions) that opens with a question word.</summary>
    public static bool IsQuestion(string text, IReadOnlyCollection<string> questionWords)
    {
        if (text.Contains('?', StringComparison.Ordinal) || text.Contains('？', StringComparison.Ordinal))
            return true;
        var words = new HashSet<string>(questionWords.Select(w => w.ToLowerInvariant()), StringComparer.Ordinal);
        var sentenceStart = true;
        foreach (var token in text.Split([' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.StartsWith('@') || token.StartsWith('#'))
                continue; // "@council when does the road reopen" opens with "when"
            var word = new string(token.Where(char.IsLetter).ToArray()).ToLower(CultureInfo.InvariantCulture);
            if (sentenceStart && word.Length > 0 && words.Contains(word))
                return true;
            sentenceStart = token.EndsWith('.') || token.EndsWith('!') || token.EndsWith(':');
        }
        return false;
    }
}
