using CrisisDesk.Core.Stories;

namespace CrisisDesk.Core.Rumours;

/// <summary>Why a post looks like a tracked rumour: a score in [0, 1] and words a person can check.</summary>
public sealed record RumourMatch(double Score, string Reason);

/// <summary>
/// Decides whether a post looks like a tracked rumour, for suggestions an operator then confirms or rejects:
/// a near-copy of a post already linked to the rumour, or one that carries most of the rumour's keywords.
/// </summary>
/// <remarks>
/// Deliberately fixed rules: a rejected suggestion is recorded and not proposed again, but it never changes these rules
/// behind the operators' backs. The keywords are the rumour's own when it has some, else the content words of its claim.
/// </remarks>
public sealed class RumourMatcher
{
    /// <summary>Share of the keywords a post must carry.</summary>
    public const double MinKeywordCoverage = 0.6;

    // Function words that say nothing about a claim (English, French, German and Spanish; the claims are written by staff).
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "was", "were", "has", "have", "had", "that", "this", "with", "from", "not", "but", "its",
        "they", "their", "there", "been", "into", "about", "over", "all", "any", "you", "our", "his", "her", "who", "what",
        "les", "des", "une", "est", "pas", "que", "qui", "dans", "pour", "sur", "avec", "der", "die", "das", "und", "ist",
        "nicht", "mit", "von", "den", "dem", "ein", "eine", "los", "las", "una", "por", "con", "para", "del",
    };

    private readonly StoryClusterer _copies = new();
    private readonly string[] _keywords;
    private readonly string[] _exemplars;

    /// <summary>How many exemplars a matcher keeps: the posts linked first stand for the rumour.</summary>
    public const int MaxExemplars = 8;

    /// <param name="claim">The rumour's claim in one line.</param>
    /// <param name="keywords">Keywords the operator gave, or none.</param>
    /// <param name="exemplars">Texts of posts already linked to the rumour (a few are enough).</param>
    public RumourMatcher(string claim, IEnumerable<string> keywords, IEnumerable<string> exemplars)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var given = keywords.SelectMany(StoryTextNormaliser.Tokenise).Distinct(StringComparer.Ordinal).ToArray();
        _keywords = given.Length > 0 ? given : KeywordsOf(claim);
        _exemplars = exemplars.Where(e => !string.IsNullOrWhiteSpace(e)).Take(MaxExemplars).ToArray();
    }

    public IReadOnlyList<string> Keywords => _keywords;

    /// <summary>The content words of a claim: no function words, nothing shorter than three letters.</summary>
    public static string[] KeywordsOf(string claim) =>
        StoryTextNormaliser.Tokenise(claim).Where(w => w.Length >= 3 && !StopWords.Contains(w)).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The match, or null when the post does not look like the rumour.</summary>
    public RumourMatch? Match(string postText)
    {
        ArgumentNullException.ThrowIfNull(postText);
        foreach (var exemplar in _exemplars)
        {
            if (_copies.AreNearDuplicates(postText, exemplar))
                return new RumourMatch(1.0, "a near-copy of a linked post");
        }
        if (_keywords.Length == 0)
            return null;
        var words = new HashSet<string>(StoryTextNormaliser.Tokenise(postText), StringComparer.Ordinal);
        var found = _keywords.Where(words.Contains).ToArray();
        var coverage = (double)found.Length / _keywords.Length;
        // One shared word is never enough, however short the keyword list.
        if (coverage < MinKeywordCoverage || found.Length < Math.Min(2, _keywords.Length))
            return null;
        return new RumourMatch(coverage, $"keywords {string.Join(", ", found)} ({found.Length} of {_keywords.Length})");
    }
}
