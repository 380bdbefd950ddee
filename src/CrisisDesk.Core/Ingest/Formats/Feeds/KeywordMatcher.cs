using System.Text;
using System.Text.RegularExpressions;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// Does a text mention any of an incident's keywords? Case-insensitive, on word boundaries (so "flood" matches
/// "Flood," and "#flood" but not "floodlight"), phrases match across any whitespace, and a keyword written as a
/// hashtag ("#A34") matches only that hashtag. Built once per keyword set; thread-safe; reusable by every connector.
/// </summary>
public sealed class KeywordMatcher
{
    private const string WordChar = @"[\p{L}\p{N}\p{Mn}_]";
    private readonly Regex? _any;
    private readonly (string Keyword, Regex Pattern)[] _each;

    public KeywordMatcher(IEnumerable<string> keywords)
    {
        Keywords = keywords.Select(k => k.Trim()).Where(k => k.Length > 0 && k != "#").Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        _each = Keywords.Select(k => (k, new Regex(PatternFor(k), Options))).ToArray();
        _any = Keywords.Count == 0 ? null : new Regex(string.Join("|", Keywords.Select(k => "(?:" + PatternFor(k) + ")")), Options);
    }

    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled;

    public IReadOnlyList<string> Keywords { get; }

    /// <summary>True when no keywords are set (nothing to filter on) or when the text mentions one of them.</summary>
    public bool IsMatch(string? text) => _any is null || (text is not null && _any.IsMatch(text));

    /// <summary>The keywords the text mentions, in the order they were given.</summary>
    public IReadOnlyList<string> Matches(string? text) =>
        text is null ? [] : _each.Where(e => e.Pattern.IsMatch(text)).Select(e => e.Keyword).ToArray();

    private static string PatternFor(string keyword)
    {
        var pattern = new StringBuilder();
        var isHashtag = keyword.StartsWith('#');
        // A hashtag keyword must start the tag; a plain word may sit inside "#word" since '#' is not a word character.
        pattern.Append(isHashtag ? "(?<![\\p{L}\\p{N}\\p{Mn}_#])" : "(?<!" + WordChar + ")");
        var words = keyword.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        pattern.Append(string.Join(@"\s+", words.Select(Regex.Escape)));
        pattern.Append("(?!" + WordChar + ")");
        return pattern.ToString();
    }
}
