using System.Text.RegularExpressions;

namespace CrisisDesk.Web.Features.Rebuttals;

/// <summary>A run of a word diff: kept, removed (only in the old text) or added (only in the new one).</summary>
public sealed record DiffPart(DiffKind Kind, string Text);

public enum DiffKind { Same, Removed, Added }

/// <summary>
/// What changed between two versions of a short text, word by word (longest common subsequence over words and the
/// spaces between them): enough for an approver to see at a glance what the author changed.
/// </summary>
public static partial class TextDiff
{
    [GeneratedRegex(@"\s+|[^\s]+", RegexOptions.CultureInvariant)]
    private static partial Regex Tokens();

    public static IReadOnlyList<DiffPart> Words(string before, string after)
    {
        var a = Tokens().Matches(before ?? "").Select(m => m.Value).ToArray();
        var b = Tokens().Matches(after ?? "").Select(m => m.Value).ToArray();
        // lcs[i, j]: length of the longest common subsequence of a[i..] and b[j..].
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var parts = new List<DiffPart>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                Add(parts, DiffKind.Same, a[x]);
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                Add(parts, DiffKind.Added, b[y]);
                y++;
            }
            else
            {
                Add(parts, DiffKind.Removed, a[x]);
                x++;
            }
        }
        return parts;
    }

    private static void Add(List<DiffPart> parts, DiffKind kind, string text)
    {
        if (parts.Count > 0 && parts[^1].Kind == kind)
            parts[^1] = parts[^1] with { Text = parts[^1].Text + text };
        else
            parts.Add(new DiffPart(kind, text));
    }
}
