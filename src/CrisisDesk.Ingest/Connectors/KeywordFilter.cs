namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// The incident's keywords applied on the client, for sources without server-side filtering (Bluesky Jetstream):
/// a text matches when it contains any keyword, ignoring case. No keywords: everything matches.
/// </summary>
public sealed class KeywordFilter(IEnumerable<string> keywords)
{
    private readonly string[] _keywords = keywords.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    public bool Matches(string? text)
    {
        if (_keywords.Length == 0)
        {
            return true;
        }
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        foreach (var keyword in _keywords)
        {
            if (text.Contains(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
