using System.Globalization;

namespace CrisisDesk.Core.Classification;

/// <summary>How a post's text becomes features: which word n-grams and character n-grams, hashed into how many buckets.</summary>
/// <param name="Bits">The feature space has 2^Bits buckets.</param>
/// <param name="WordNgrams">1: words; 2: words and pairs of adjacent words; 3: and runs of three.</param>
/// <param name="CharMin">Shortest character n-gram taken inside a word (0: none).</param>
/// <param name="CharMax">Longest character n-gram.</param>
/// <param name="Normalise">
/// Also: Latin letters without their accents, runs of one letter squashed to two ("sooo" → "soo"), a retweet's "RT" one
/// token, and each hashtag a feature of its own beside its word, with its CamelCase parts as words ("#PrayForBoston").
/// </param>
/// <param name="WordShare">
/// 0: one L2 normalisation over all features. Otherwise the word features (words, pairs, hashtags) and the character
/// n-grams are normalised apart, the words' block to a squared length of this share and the characters' to the rest: a
/// tweet has ten or twenty times more character n-grams than words, which otherwise drown the words' weight.
/// </param>
/// <param name="Shape">
/// Also the post's shape, which its words do not say: how many words (in fours), whether it asks ('?') or exclaims ('!'),
/// whether it has a word in capitals.
/// </param>
public sealed record FeaturizerOptions(int Bits = 18, int WordNgrams = 2, int CharMin = 3, int CharMax = 5, bool Normalise = false, float WordShare = 0,
    bool Shape = false)
{
    public int Dimension => 1 << Bits;

    /// <summary>Whether words and character n-grams are normalised apart (<see cref="WordShare"/>).</summary>
    public bool SplitsBlocks => WordShare > 0 && CharMin > 0;

    /// <summary>A short name for reports: <c>w2+c3-5/2^18</c>, <c>+norm</c> when normalised, <c>,words 0.5</c> for the word share.</summary>
    public override string ToString() =>
        $"w{WordNgrams}{(CharMin > 0 ? $"+c{CharMin}-{CharMax}" : "")}{(Normalise ? "+norm" : "")}{(Shape ? "+shape" : "")}/2^{Bits}"
        + (SplitsBlocks ? FormattableString.Invariant($" (words {WordShare:0.##} of the norm)") : "");
}

/// <summary>A sparse feature vector: indices ascending and distinct, values L2-normalised. Reused between posts.</summary>
public sealed class FeatureVector
{
    public int[] Indices { get; private set; } = new int[256];
    public float[] Values { get; private set; } = new float[256];
    public int Count { get; internal set; }

    /// <summary>Sets the vector to a stored one (indices ascending and distinct).</summary>
    public void CopyFrom(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        EnsureCapacity(indices.Length);
        indices.CopyTo(Indices);
        values.CopyTo(Values);
        Count = indices.Length;
    }

    internal void EnsureCapacity(int n)
    {
        if (Indices.Length >= n)
            return;
        var size = Math.Max(n, Indices.Length * 2);
        Indices = new int[size];
        Values = new float[size];
    }
}

/// <summary>
/// Turns a post's text into hashed features, the same way in training (tools/CrisisDesk.Training) and in the pipeline:
/// text lower-cased, links, user mentions and numbers each folded to one token (they differ in every event but mean the
/// same); word unigrams and bigrams; character n-grams inside each word (they carry spelling variants, hashtags run
/// together and the other languages of the data). Each feature is hashed (FNV-1a, a seed per kind) into
/// 2^<see cref="FeaturizerOptions.Bits"/> buckets, counted, weighted log(1 + count) and the vector L2-normalised.
/// </summary>
/// <remarks>
/// Not thread-safe (it reuses its buffers): one per thread. Nothing is allocated per post: the words are written,
/// lower-cased, into one character buffer, each between the boundary marks its character n-grams need ("&lt;word&gt;"),
/// and every n-gram is hashed where it lies in that buffer.
/// </remarks>
public sealed class TextFeaturizer(FeaturizerOptions options)
{
    public const string UrlToken = "_url_";
    public const string MentionToken = "_user_";
    public const string NumberToken = "_num_";
    public const string RetweetToken = "_rt_";

    private const uint WordSeed = 0x811C9DC5;
    private const uint BigramSeed = 0x2F6B3C1D;
    private const uint TrigramSeed = 0x165667B1;
    private const uint CharSeed = 0x5BD1E995;
    private const uint HashtagSeed = 0x27D4EB2F;
    private const uint ShapeSeed = 0x61C88647;

    // Each Latin letter of U+00C0..U+024F lower-cased and without its accents ("É" → 'e'); '\0' where it is not one
    // letter plus marks (æ, ß, ø stay as they are). Built once from Unicode's canonical decompositions.
    private const char FoldFirst = '\u00C0';
    private static readonly char[] Folded = BuildFoldTable();

    // log(1 + count) for the counts a post has, computed once (the same float Math.Log gives).
    private static readonly float[] LogOnePlus = [.. Enumerable.Range(0, 64).Select(k => (float)Math.Log(1 + k))];

    private char[] _chars = new char[512];
    private int _charCount;
    private int[] _wordStarts = new int[64];
    private int[] _wordLengths = new int[64];
    private int _wordCount;
    private int[] _hashes = new int[512];
    // The character n-grams' buckets, when they are normalised apart from the words' (FeaturizerOptions.WordShare).
    private int[] _charHashes = new int[512];
    private readonly FeatureVector _wordBlock = new();
    private readonly FeatureVector _charBlock = new();
    // Features beyond the words' own (hashtags and their parts, when normalising), hashed before masking.
    private uint[] _extra = new uint[16];
    private int _extraCount;

    public FeaturizerOptions Options => options;

    /// <summary>The words the features are built from (lower case, links, mentions and numbers folded).</summary>
    public IReadOnlyList<string> Words(string text)
    {
        Tokenise(text);
        var words = new string[_wordCount];
        for (var i = 0; i < _wordCount; i++)
            words[i] = new string(Word(i));
        return words;
    }

    /// <summary>Fills <paramref name="vector"/> with the features of <paramref name="text"/>.</summary>
    public void Extract(string text, FeatureVector vector)
    {
        Tokenise(text);
        if (options.Shape)
            AddShape(text);
        var n = 0;
        var nc = 0;
        var split = options.SplitsBlocks;
        var mask = (uint)(options.Dimension - 1);
        for (var i = 0; i < _wordCount; i++)
        {
            var word = Word(i);
            Add(ref _hashes, ref n, Mix(Hash(WordSeed, word)) & mask);
            if (options.WordNgrams >= 2 && i + 1 < _wordCount)
                Add(ref _hashes, ref n, Mix(Hash(Hash(BigramSeed, word) ^ 0x9E3779B9, Word(i + 1))) & mask);
            if (options.WordNgrams >= 3 && i + 2 < _wordCount)
                Add(ref _hashes, ref n, Mix(Hash(Hash(Hash(TrigramSeed, word) ^ 0x9E3779B9, Word(i + 1)) ^ 0x9E3779B9, Word(i + 2))) & mask);
            if (options.CharMin > 0 && word[0] != '_')
            {
                if (split)
                    AddCharNgrams(ref _charHashes, ref nc, i, mask);
                else
                    AddCharNgrams(ref _hashes, ref n, i, mask);
            }
        }
        for (var i = 0; i < _extraCount; i++)
            Add(ref _hashes, ref n, Mix(_extra[i]) & mask);
        if (!split)
        {
            Finish(_hashes, n, vector, 1);
            return;
        }
        Finish(_hashes, n, _wordBlock, MathF.Sqrt(options.WordShare));
        Finish(_charHashes, nc, _charBlock, MathF.Sqrt(1 - options.WordShare));
        Merge(_wordBlock, _charBlock, vector);
    }

    private void AddShape(string text)
    {
        EnsureExtra(4);
        _extra[_extraCount++] = ShapeSeed + (uint)Math.Min(_wordCount / 4, 8);
        var asks = false;
        var exclaims = false;
        var capitals = false;
        var run = 0;
        foreach (var c in text)
        {
            asks |= c == '?';
            exclaims |= c == '!';
            run = char.IsUpper(c) ? run + 1 : 0;
            capitals |= run >= 3;
        }
        if (asks)
            _extra[_extraCount++] = ShapeSeed + 100;
        if (exclaims)
            _extra[_extraCount++] = ShapeSeed + 101;
        if (capitals)
            _extra[_extraCount++] = ShapeSeed + 102;
    }

    /// <summary>The sum of two sparse vectors (indices ascending), a bucket both hold adding their values.</summary>
    private static void Merge(FeatureVector a, FeatureVector b, FeatureVector into)
    {
        into.EnsureCapacity(a.Count + b.Count);
        int i = 0, j = 0, n = 0;
        while (i < a.Count || j < b.Count)
        {
            if (j == b.Count || (i < a.Count && a.Indices[i] < b.Indices[j]))
                (into.Indices[n], into.Values[n], i) = (a.Indices[i], a.Values[i], i + 1);
            else if (i == a.Count || b.Indices[j] < a.Indices[i])
                (into.Indices[n], into.Values[n], j) = (b.Indices[j], b.Values[j], j + 1);
            else
                (into.Indices[n], into.Values[n], i, j) = (a.Indices[i], a.Values[i] + b.Values[j], i + 1, j + 1);
            n++;
        }
        into.Count = n;
    }

    private ReadOnlySpan<char> Word(int i) => _chars.AsSpan(_wordStarts[i], _wordLengths[i]);

    private void AddCharNgrams(ref int[] hashes, ref int n, int word, uint mask)
    {
        // The word with its boundary marks, so that prefixes and suffixes are features of their own.
        var padded = _chars.AsSpan(_wordStarts[word] - 1, _wordLengths[word] + 2);
        for (var length = options.CharMin; length <= options.CharMax; length++)
        {
            for (var start = 0; start + length <= padded.Length; start++)
                Add(ref hashes, ref n, Mix(Hash(CharSeed + (uint)length, padded.Slice(start, length))) & mask);
        }
    }

    private static void Add(ref int[] hashes, ref int n, uint bucket)
    {
        if (n == hashes.Length)
            Array.Resize(ref hashes, n * 2);
        hashes[n++] = (int)bucket;
    }

    /// <summary>Counts the buckets, weights each log(1 + count) and scales the vector to length <paramref name="length"/>.</summary>
    private static void Finish(int[] buffer, int n, FeatureVector vector, float length)
    {
        var hashes = buffer.AsSpan(0, n);
        hashes.Sort();
        vector.EnsureCapacity(n);
        var count = 0;
        var sumSquares = 0.0;
        for (var i = 0; i < n;)
        {
            var j = i + 1;
            while (j < n && hashes[j] == hashes[i])
                j++;
            var repeats = j - i;
            var value = repeats < LogOnePlus.Length ? LogOnePlus[repeats] : (float)Math.Log(1 + repeats);
            vector.Indices[count] = hashes[i];
            vector.Values[count] = value;
            sumSquares += value * value;
            count++;
            i = j;
        }
        vector.Count = count;
        if (sumSquares > 0)
        {
            var scale = (float)(length / Math.Sqrt(sumSquares));
            for (var i = 0; i < count; i++)
                vector.Values[i] *= scale;
        }
    }

    /// <summary>
    /// Words: runs of letters, digits, marks, apostrophes and underscores, lower-cased; a link becomes <see cref="UrlToken"/>,
    /// an @mention <see cref="MentionToken"/>, a run of digits <see cref="NumberToken"/>; a hashtag is its word.
    /// </summary>
    private void Tokenise(string text)
    {
        _wordCount = 0;
        _charCount = 0;
        _extraCount = 0;
        // Each word takes its length plus its two marks; a folded token takes at most 8 for 2 characters of text ("@a").
        if (_chars.Length < (text.Length * 4) + 16)
            _chars = new char[(text.Length * 4) + 16];
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (IsWordChar(c))
            {
                if (StartsLink(text, i))
                {
                    AddToken(UrlToken);
                    while (i < text.Length && !char.IsWhiteSpace(text[i]))
                        i++;
                    continue;
                }
                var start = i;
                while (i < text.Length && (IsWordChar(text[i]) || (text[i] == '\'' && i + 1 < text.Length && char.IsLetter(text[i + 1]))))
                    i++;
                var word = text.AsSpan(start, i - start);
                var mention = start > 0 && text[start - 1] == '@';
                if (options.Normalise && !mention && start > 0 && text[start - 1] == '#' && !AllDigits(word))
                    AddHashtag(word);
                AddWord(word, mention);
                continue;
            }
            i++;
        }
    }

    private void AddWord(ReadOnlySpan<char> word, bool mention)
    {
        if (mention)
        {
            AddToken(MentionToken);
            return;
        }
        if (AllDigits(word))
        {
            AddToken(NumberToken);
            return;
        }
        if (options.Normalise && word.Length == 2 && word[0] is 'R' && word[1] is 'T')
        {
            AddToken(RetweetToken);
            return;
        }
        var start = BeginWord();
        if (options.Normalise)
            _charCount += Fold(word, _chars.AsSpan(_charCount));
        else
        {
            foreach (var c in word)
                _chars[_charCount++] = char.ToLowerInvariant(c);
        }
        if (_charCount == start)
            _chars[_charCount++] = '_'; // only marks: keep a word, so that every word has a character
        EndWord(start);
    }

    /// <summary>
    /// Writes <paramref name="word"/> lower-cased, Latin letters without accents, combining accents dropped and a
    /// letter repeated more than twice written twice; returns how many characters it wrote.
    /// </summary>
    public static int Fold(ReadOnlySpan<char> word, Span<char> into)
    {
        var n = 0;
        foreach (var raw in word)
        {
            var c = char.ToLowerInvariant(raw);
            if (c >= FoldFirst && c - FoldFirst < Folded.Length && Folded[c - FoldFirst] != '\0')
                c = Folded[c - FoldFirst];
            else if (c is >= '\u0300' and <= '\u036F')
                continue; // a combining accent (U+0300..U+036F), written apart from its letter
            if (n >= 2 && into[n - 1] == c && into[n - 2] == c && char.IsLetter(c))
                continue;
            into[n++] = c;
        }
        return n;
    }

    /// <summary>A hashtag's own feature, and its CamelCase parts as words when it has more than one ("#PrayForBoston").</summary>
    private void AddHashtag(ReadOnlySpan<char> tag)
    {
        Span<char> folded = tag.Length <= 256 ? stackalloc char[tag.Length] : new char[tag.Length];
        EnsureExtra(1);
        _extra[_extraCount++] = Hash(HashtagSeed, folded[..Fold(tag, folded)]);
        var parts = 0;
        var start = 0;
        for (var i = 1; i <= tag.Length; i++)
        {
            if (i < tag.Length && !(char.IsUpper(tag[i]) && char.IsLower(tag[i - 1])))
                continue;
            if (i == tag.Length && parts == 0)
                return; // one part: the word itself
            EnsureExtra(1);
            _extra[_extraCount++] = Hash(WordSeed, folded[..Fold(tag[start..i], folded)]);
            parts++;
            start = i;
        }
    }

    private void EnsureExtra(int more)
    {
        if (_extraCount + more > _extra.Length)
            Array.Resize(ref _extra, (_extraCount + more) * 2);
    }

    private static char[] BuildFoldTable()
    {
        var table = new char[0x0250 - FoldFirst];
        for (var i = 0; i < table.Length; i++)
        {
            var decomposed = char.ToLowerInvariant((char)(FoldFirst + i)).ToString().Normalize(System.Text.NormalizationForm.FormD);
            if (decomposed.Length > 1 && decomposed[0] < 0x80 && char.IsLetter(decomposed[0])
                && decomposed.AsSpan(1).IndexOfAnyExceptInRange('\u0300', '\u036F') < 0)
                table[i] = decomposed[0];
        }
        return table;
    }

    private static bool AllDigits(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (!char.IsDigit(c))
                return false;
        }
        return true;
    }

    private void AddToken(string token)
    {
        var start = BeginWord();
        token.CopyTo(_chars.AsSpan(_charCount));
        _charCount += token.Length;
        EndWord(start);
    }

    private int BeginWord()
    {
        _chars[_charCount++] = '<';
        return _charCount;
    }

    private void EndWord(int start)
    {
        if (_wordCount == _wordStarts.Length)
        {
            Array.Resize(ref _wordStarts, _wordCount * 2);
            Array.Resize(ref _wordLengths, _wordCount * 2);
        }
        _wordStarts[_wordCount] = start;
        _wordLengths[_wordCount] = _charCount - start;
        _wordCount++;
        _chars[_charCount++] = '>';
    }

    private static bool IsWordChar(char c) =>
        char.IsLetterOrDigit(c) || c == '_' || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static bool StartsLink(string text, int i) =>
        (text[i] is 'h' or 'H' && (Matches(text, i, "http://") || Matches(text, i, "https://")))
        || (text[i] is 'w' or 'W' && Matches(text, i, "www."));

    private static bool Matches(string text, int i, string prefix) =>
        string.Compare(text, i, prefix, 0, prefix.Length, StringComparison.OrdinalIgnoreCase) == 0 && text.Length - i >= prefix.Length;

    /// <summary>MurmurHash3's finaliser: spreads FNV's bits so that the low bits kept by the mask are well mixed.</summary>
    public static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>FNV-1a over UTF-16 units: stable across processes and machines (unlike <see cref="string.GetHashCode()"/>).</summary>
    public static uint Hash(uint seed, ReadOnlySpan<char> text)
    {
        var h = seed;
        foreach (var c in text)
        {
            h ^= c;
            h *= 16777619;
        }
        return h;
    }
}
