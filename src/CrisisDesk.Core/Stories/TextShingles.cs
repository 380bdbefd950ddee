namespace CrisisDesk.Core.Stories;

/// <summary>
/// A post's words and adjacent word pairs as sorted, distinct 64-bit hashes: compact to keep in the index and
/// cheap to intersect (a merge of two sorted arrays, no allocation).
/// </summary>
internal sealed class TextShingles
{
    private TextShingles(ulong[] words, ulong[] wordPairs)
    {
        Words = words;
        WordPairs = wordPairs;
    }

    public ulong[] Words { get; }

    public ulong[] WordPairs { get; }

    public bool IsEmpty => Words.Length == 0;

    public static TextShingles From(IReadOnlyList<string> tokens)
    {
        var words = new ulong[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            words[i] = StableHash.Of(tokens[i]);
        }

        var pairs = new ulong[Math.Max(0, tokens.Count - 1)];
        for (var i = 1; i < words.Length; i++)
        {
            pairs[i - 1] = StableHash.Mix((words[i - 1] * 31) ^ words[i]);
        }

        return new TextShingles(SortedDistinct(words), SortedDistinct(pairs));
    }

    public static int IntersectionCount(ulong[] a, ulong[] b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                n++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return n;
    }

    private static ulong[] SortedDistinct(ulong[] values)
    {
        if (values.Length < 2)
        {
            return values;
        }

        Array.Sort(values);
        var n = 1;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] != values[n - 1])
            {
                values[n++] = values[i];
            }
        }

        return n == values.Length ? values : values[..n];
    }
}

/// <summary>Hashes that are the same on every run and machine (string.GetHashCode is randomised per process).</summary>
internal static class StableHash
{
    public static ulong Of(string s)
    {
        // FNV-1a over UTF-16 code units, then a final mix so that similar words spread over all bits.
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return Mix(h);
    }

    // SplitMix64 finaliser.
    public static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return x;
    }
}
