using System.Globalization;
using System.Text;

namespace CrisisDesk.Core.Classification;

/// <summary>
/// Sentiment from −1 (most negative) to +1 (most positive) by VADER's method (Hutto and Gilbert, ICWSM 2014) on its own
/// lexicon (<c>Data/vader_lexicon.txt</c>, MIT): each word's rated valence, changed by the rules the paper measured
/// (booster and dampener words, negation up to three words back, "but", words in all capitals among others that are
/// not, "!" and "?" emphasis, a few idioms), summed and squashed by <c>x / √(x² + 15)</c>. Emoji are read as their
/// Unicode names, as VADER does. Rule-based: no training, a few microseconds a post, and the same on every machine.
/// </summary>
/// <remarks>Thread-safe after construction: the lexicon is read only.</remarks>
public sealed class VaderSentiment
{
    /// <summary>What a booster word ("very") adds to the valence of the word it qualifies.</summary>
    public const double BoosterIncrement = 0.293;

    /// <summary>What a dampener word ("slightly") takes off.</summary>
    public const double DampenerDecrement = -0.293;

    /// <summary>What a word in capitals among words that are not adds ("GREAT" beside lower-case words).</summary>
    public const double CapitalsIncrement = 0.733;

    /// <summary>A negated word's valence is multiplied by this: flipped and weakened ("not good" is less bad than "bad").</summary>
    public const double NegationScalar = -0.74;

    /// <summary>The normalisation constant: about the largest sum expected.</summary>
    public const double Alpha = 15;

    /// <summary>A compound at or above this reads as positive, at or below its negative as negative (VADER's own thresholds).</summary>
    public const double NeutralBand = 0.05;

    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal)
    {
        "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't", "aren't", "can't", "couldn't",
        "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither", "don't",
        "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor",
        "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent", "oughtn't", "shan't",
        "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom",
        "despite",
    };

    private static readonly Dictionary<string, double> Boosters = BuildBoosters();

    private static readonly Dictionary<string, double> SpecialCases = new(StringComparer.Ordinal)
    {
        ["the shit"] = 3, ["the bomb"] = 3, ["bad ass"] = 1.5, ["badass"] = 1.5, ["bus stop"] = 0.0, ["yeah right"] = -2,
        ["kiss of death"] = -1.5, ["to die for"] = 3, ["beating heart"] = 3.1, ["broken heart"] = -2.9,
    };

    private readonly Dictionary<string, double> _lexicon;

    public VaderSentiment(Dictionary<string, double> lexicon) => _lexicon = lexicon;

    /// <summary>The analyser on the lexicon bundled in this assembly (loaded once).</summary>
    public static VaderSentiment Default => LazyDefault.Value;

    private static readonly Lazy<VaderSentiment> LazyDefault = new(() => new VaderSentiment(LoadBundledLexicon()));

    /// <summary>Reads VADER's lexicon format: <c>token TAB mean TAB sd TAB ratings</c>; a later line for the same token wins.</summary>
    public static Dictionary<string, double> ReadLexicon(TextReader reader)
    {
        var lexicon = new Dictionary<string, double>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
                continue;
            var end = line.IndexOf('\t', tab + 1);
            var mean = line.AsSpan(tab + 1, (end < 0 ? line.Length : end) - tab - 1);
            lexicon[line[..tab]] = double.Parse(mean, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return lexicon;
    }

    private static Dictionary<string, double> LoadBundledLexicon()
    {
        using var stream = typeof(VaderSentiment).Assembly.GetManifestResourceStream("CrisisDesk.Core.Classification.vader_lexicon.txt")
            ?? throw new InvalidOperationException("The VADER lexicon is not embedded in CrisisDesk.Core.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return ReadLexicon(reader);
    }

    /// <summary>Whether a compound score reads as negative (−1), neutral (0) or positive (+1).</summary>
    public static int Mood(double compound) => compound >= NeutralBand ? 1 : compound <= -NeutralBand ? -1 : 0;

    /// <summary>The compound score of <paramref name="text"/>, from −1 to +1; 0 for text with no sentiment words.</summary>
    public double Score(string text)
    {
        text = Emoji.Describe(text).Trim();
        var words = Tokenise(text);
        if (words.Count == 0)
            return 0;
        var lower = new string[words.Count];
        for (var i = 0; i < words.Count; i++)
            lower[i] = words[i].ToLowerInvariant();
        var capsDiffer = CapitalsDiffer(words);

        var sentiments = new double[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            // Boosters and "kind of" qualify the next word; they carry no valence of their own.
            if (Boosters.ContainsKey(lower[i]) || (lower[i] == "kind" && i < words.Count - 1 && lower[i + 1] == "of"))
                continue;
            sentiments[i] = Valence(words, lower, i, capsDiffer);
        }
        ButCheck(lower, sentiments);

        var sum = 0.0;
        foreach (var s in sentiments)
            sum += s;
        var emphasis = PunctuationEmphasis(text);
        if (sum > 0)
            sum += emphasis;
        else if (sum < 0)
            sum -= emphasis;
        return Normalise(sum);
    }

    /// <summary><c>x / √(x² + α)</c>, kept within −1..+1.</summary>
    public static double Normalise(double score)
    {
        var norm = score / Math.Sqrt((score * score) + Alpha);
        return Math.Clamp(norm, -1.0, 1.0);
    }

    /// <summary>
    /// Words and emoticons: the text split on white space, each token stripped of leading and trailing ASCII
    /// punctuation unless that leaves two characters or fewer (then it is probably an emoticon, such as ":)", and is kept whole).
    /// </summary>
    public static List<string> Tokenise(string text)
    {
        var words = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
                i++;
            if (i > start)
            {
                var token = text.AsSpan(start, i - start);
                var stripped = token.Trim(AsciiPunctuation);
                words.Add(stripped.Length <= 2 ? token.ToString() : stripped.ToString());
            }
        }
        return words;
    }

    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Python's <c>str.isupper</c>: at least one cased character, and none in lower case.</summary>
    public static bool IsAllCaps(string word)
    {
        var cased = false;
        foreach (var c in word)
        {
            if (char.IsLower(c))
                return false;
            if (char.IsUpper(c))
                cased = true;
        }
        return cased;
    }

    /// <summary>Capitals count as emphasis only when some words are in capitals and some are not ("I am SO happy", not "I AM SO HAPPY").</summary>
    public static bool CapitalsDiffer(IReadOnlyList<string> words)
    {
        var caps = 0;
        foreach (var w in words)
        {
            if (IsAllCaps(w))
                caps++;
        }
        var others = words.Count - caps;
        return others > 0 && others < words.Count;
    }

    private double Valence(List<string> words, string[] lower, int i, bool capsDiffer)
    {
        if (!_lexicon.TryGetValue(lower[i], out var rated))
            return 0;
        var valence = rated;
        // "no" before another sentiment word negates it rather than counting itself.
        if (lower[i] == "no" && i != words.Count - 1 && _lexicon.ContainsKey(lower[i + 1]))
            valence = 0.0;
        if ((i > 0 && lower[i - 1] == "no") || (i > 1 && lower[i - 2] == "no")
            || (i > 2 && lower[i - 3] == "no" && lower[i - 1] is "or" or "nor"))
            valence = rated * NegationScalar;

        if (capsDiffer && IsAllCaps(words[i]))
            valence += valence > 0 ? CapitalsIncrement : -CapitalsIncrement;

        for (var back = 0; back < 3; back++)
        {
            // Up to three words back, a word that is not itself a sentiment word may boost, dampen or negate this one;
            // the further away, the weaker its boost.
            if (i <= back || _lexicon.ContainsKey(lower[i - (back + 1)]))
                continue;
            var s = BoosterScalar(words[i - (back + 1)], lower[i - (back + 1)], valence, capsDiffer);
            if (back == 1 && s != 0)
                s *= 0.95;
            if (back == 2 && s != 0)
                s *= 0.9;
            valence += s;
            valence = NegationCheck(valence, lower, back, i);
            if (back == 2)
                valence = SpecialIdiomsCheck(valence, lower, i);
        }
        return LeastCheck(valence, lower, i);
    }

    private static double BoosterScalar(string word, string lower, double valence, bool capsDiffer)
    {
        if (!Boosters.TryGetValue(lower, out var scalar))
            return 0.0;
        if (valence < 0)
            scalar = -scalar;
        if (capsDiffer && IsAllCaps(word))
            scalar += valence > 0 ? CapitalsIncrement : -CapitalsIncrement;
        return scalar;
    }

    /// <summary>A negation word (or any word with "n't") one to three words back flips and weakens the valence; "never so" and "never this" strengthen it instead, "without doubt" leaves it.</summary>
    private static double NegationCheck(double valence, string[] lower, int back, int i)
    {
        switch (back)
        {
            case 0:
                if (IsNegation(lower[i - 1]))
                    valence *= NegationScalar;
                break;
            case 1:
                if (lower[i - 2] == "never" && lower[i - 1] is "so" or "this")
                    valence *= 1.25;
                else if (lower[i - 2] == "without" && lower[i - 1] == "doubt")
                {
                    // "without doubt" affirms.
                }
                else if (IsNegation(lower[i - 2]))
                    valence *= NegationScalar;
                break;
            case 2:
                if ((lower[i - 3] == "never" && lower[i - 2] is "so" or "this") || lower[i - 1] is "so" or "this")
                    valence *= 1.25;
                else if (lower[i - 3] == "without" && (lower[i - 2] == "doubt" || lower[i - 1] == "doubt"))
                {
                    // "without doubt" affirms.
                }
                else if (IsNegation(lower[i - 3]))
                    valence *= NegationScalar;
                break;
        }
        return valence;
    }

    public static bool IsNegation(string lowerWord) => Negations.Contains(lowerWord) || lowerWord.Contains("n't", StringComparison.Ordinal);

    private static double SpecialIdiomsCheck(double valence, string[] lower, int i)
    {
        // Sequences are looked up (and their strings made) only when every word is one an idiom has: most are not.
        var oneZero = Sequence(lower, i - 1, i);
        var twoOneZero = Sequence(lower, i - 2, i);
        var twoOne = Sequence(lower, i - 2, i - 1);
        var threeTwoOne = Sequence(lower, i - 3, i - 1);
        var threeTwo = Sequence(lower, i - 3, i - 2);
        foreach (var sequence in (ReadOnlySpan<string?>)[oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo])
        {
            if (sequence is not null && SpecialCases.TryGetValue(sequence, out var special))
            {
                valence = special;
                break;
            }
        }
        if (lower.Length - 1 > i && Sequence(lower, i, i + 1) is { } next && SpecialCases.TryGetValue(next, out var zeroOne))
            valence = zeroOne;
        if (lower.Length - 1 > i + 1 && Sequence(lower, i, i + 2) is { } nextTwo && SpecialCases.TryGetValue(nextTwo, out var zeroOneTwo))
            valence = zeroOneTwo;
        // Two-word dampeners ("kind of", "sort of") just before.
        foreach (var gram in (ReadOnlySpan<string?>)[threeTwoOne, threeTwo, twoOne])
        {
            if (gram is not null && Boosters.TryGetValue(gram, out var boost))
                valence += boost;
        }
        return valence;
    }

    // Every word of the idioms and of the two-word boosters: a sequence with any other word is none of them.
    private static readonly HashSet<string> IdiomWords = new(
        SpecialCases.Keys.Concat(Boosters.Keys).Where(k => k.Contains(' ', StringComparison.Ordinal)).SelectMany(k => k.Split(' ')),
        StringComparer.Ordinal);

    /// <summary>The words <paramref name="first"/>..<paramref name="last"/> joined by spaces, or null when one of them is in no idiom.</summary>
    private static string? Sequence(string[] lower, int first, int last)
    {
        for (var k = first; k <= last; k++)
        {
            if (!IdiomWords.Contains(lower[k]))
                return null;
        }
        return string.Join(' ', lower, first, last - first + 1);
    }

    /// <summary>"least" just before negates ("the least happy"), unless it is "at least" or "very least".</summary>
    private double LeastCheck(double valence, string[] lower, int i)
    {
        if (i > 1 && lower[i - 1] == "least" && !_lexicon.ContainsKey(lower[i - 1]))
        {
            if (lower[i - 2] != "at" && lower[i - 2] != "very")
                valence *= NegationScalar;
        }
        else if (i > 0 && lower[i - 1] == "least" && !_lexicon.ContainsKey(lower[i - 1]))
        {
            valence *= NegationScalar;
        }
        return valence;
    }

    /// <summary>"but" shifts the weight to what follows it: words before the first "but" count half, words after it one and a half.</summary>
    private static void ButCheck(string[] lower, double[] sentiments)
    {
        var but = Array.IndexOf(lower, "but");
        if (but < 0)
            return;
        for (var i = 0; i < sentiments.Length; i++)
        {
            if (i < but)
                sentiments[i] *= 0.5;
            else if (i > but)
                sentiments[i] *= 1.5;
        }
    }

    /// <summary>Each "!" (up to four) adds 0.292; two or three "?" add 0.18 each, more add 0.96. Added in the direction of the sum.</summary>
    public static double PunctuationEmphasis(string text)
    {
        var exclamations = 0;
        var questions = 0;
        foreach (var c in text)
        {
            if (c == '!')
                exclamations++;
            else if (c == '?')
                questions++;
        }
        var emphasis = Math.Min(exclamations, 4) * 0.292;
        if (questions > 1)
            emphasis += questions <= 3 ? questions * 0.18 : 0.96;
        return emphasis;
    }

    private static Dictionary<string, double> BuildBoosters()
    {
        var boosters = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var w in new[]
        {
            "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably", "decidedly", "deeply", "effing",
            "enormous", "enormously", "entirely", "especially", "exceptional", "exceptionally", "extreme", "extremely",
            "fabulously", "flipping", "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
            "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely", "incredible", "incredibly",
            "intensely", "major", "majorly", "more", "most", "particularly", "purely", "quite", "really", "remarkably", "so",
            "substantially", "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
            "unusually", "utter", "utterly", "very",
        })
            boosters[w] = BoosterIncrement;
        foreach (var w in new[]
        {
            "almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of", "less", "little", "marginal",
            "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight", "slightly", "somewhat",
            "sort of", "sorta", "sortof", "sort-of",
        })
            boosters[w] = DampenerDecrement;
        return boosters;
    }
}
