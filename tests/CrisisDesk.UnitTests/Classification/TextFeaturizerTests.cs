using CrisisDesk.Core.Classification;

namespace CrisisDesk.UnitTests.Classification;

public class TextFeaturizerTests
{
    [Fact]
    public void Words_are_lower_case_with_links_mentions_and_numbers_folded()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        Assert.Equal(
            ["rt", TextFeaturizer.MentionToken, "flooding", "on", "i", TextFeaturizer.NumberToken, "don't", "drive", TextFeaturizer.UrlToken, "yycflood"],
            featurizer.Words("RT @CityOfCalgary: FLOODING on I-95, don't drive! http://t.co/AbC123 #yycflood"));
    }

    [Fact]
    public void Words_in_other_scripts_and_with_accents_are_kept_whole()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        Assert.Equal(["terremoto", "en", "cañas", "sismo", "de", TextFeaturizer.NumberToken], featurizer.Words("Terremoto en Cañas: ¡sismo de 7,6!").Take(6));
        Assert.Equal(["метеорит", "челябинск"], featurizer.Words("Метеорит, Челябинск"));
    }

    [Fact]
    public void Features_are_sorted_distinct_and_of_unit_length()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        var vector = new FeatureVector();
        featurizer.Extract("Flood flood FLOOD warning for the river, flood!", vector);

        Assert.True(vector.Count > 0);
        for (var i = 1; i < vector.Count; i++)
            Assert.True(vector.Indices[i] > vector.Indices[i - 1]);
        Assert.All(vector.Indices.Take(vector.Count), index => Assert.InRange(index, 0, (1 << 18) - 1));
        var length = Math.Sqrt(vector.Values.Take(vector.Count).Sum(v => (double)v * v));
        Assert.Equal(1.0, length, 5);
    }

    [Fact]
    public void A_repeated_word_weighs_log_of_its_count()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions(18, 1, 0, 0));
        var vector = new FeatureVector();
        featurizer.Extract("flood flood flood rain", vector);

        Assert.Equal(2, vector.Count);
        var values = vector.Values.Take(2).Order().ToArray();
        Assert.Equal(Math.Log(2) / Math.Log(4), values[0] / values[1], 5);
    }

    [Fact]
    public void The_same_text_gives_the_same_features_whatever_the_case_and_link()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        var a = new FeatureVector();
        var b = new FeatureVector();
        featurizer.Extract("Evacuate NOW http://t.co/aaa", a);
        featurizer.Extract("evacuate now https://bit.ly/zzz", b);

        Assert.Equal(a.Indices.Take(a.Count), b.Indices.Take(b.Count));
        Assert.Equal(a.Values.Take(a.Count), b.Values.Take(b.Count));
    }

    [Fact]
    public void Bigrams_and_character_ngrams_add_features_as_configured()
    {
        static int Count(FeaturizerOptions options)
        {
            var vector = new FeatureVector();
            new TextFeaturizer(options).Extract("roads closed", vector);
            return vector.Count;
        }

        Assert.Equal(2, Count(new FeaturizerOptions(20, 1, 0, 0)));
        Assert.Equal(3, Count(new FeaturizerOptions(20, 2, 0, 0)));
        // "<roads>" has 5 trigrams, "<closed>" 6: 11 more.
        Assert.Equal(3 + 5 + 6, Count(new FeaturizerOptions(20, 2, 3, 3)));
    }

    [Fact]
    public void Word_trigrams_add_one_feature_per_run_of_three_words()
    {
        static int Count(int ngrams)
        {
            var vector = new FeatureVector();
            new TextFeaturizer(new FeaturizerOptions(20, ngrams, 0, 0)).Extract("all roads closed now", vector);
            return vector.Count;
        }

        Assert.Equal(4 + 3, Count(2));
        Assert.Equal(4 + 3 + 2, Count(3));
    }

    [Theory]
    [InlineData("roads closed", 0)]
    [InlineData("roads closed?", 1)]
    [InlineData("roads closed!", 1)]
    [InlineData("roads CLOSED", 1)]
    [InlineData("ROADS closed?!", 3)]
    [InlineData("Roads Closed", 0)]
    public void The_shape_adds_its_length_and_one_feature_each_for_a_question_an_exclamation_and_capitals(string text, int marks)
    {
        static int Count(string text, bool shape)
        {
            var vector = new FeatureVector();
            new TextFeaturizer(new FeaturizerOptions(20, 1, 0, 0, Shape: shape)).Extract(text, vector);
            return vector.Count;
        }

        Assert.Equal(Count(text, false) + 1 + marks, Count(text, true));
    }

    [Fact]
    public void With_a_word_share_words_and_character_ngrams_are_normalised_apart()
    {
        const string text = "Roads closed near the river, roads flooded";
        var words = new FeatureVector();
        var chars = new FeatureVector();
        var both = new FeatureVector();
        new TextFeaturizer(new FeaturizerOptions(20, 2, 0, 0)).Extract(text, words);
        // Character n-grams alone: the same text's features less its words' (no word is a trigram's bucket here).
        var all = new FeatureVector();
        new TextFeaturizer(new FeaturizerOptions(20, 2, 3, 4)).Extract(text, all);
        new TextFeaturizer(new FeaturizerOptions(20, 2, 3, 4, WordShare: 0.36f)).Extract(text, both);

        var wordBuckets = words.Indices.Take(words.Count).ToHashSet();
        Assert.Equal(all.Indices.Take(all.Count), both.Indices.Take(both.Count));
        double SquaredLength(Func<int, bool> keep) =>
            Enumerable.Range(0, both.Count).Where(i => keep(both.Indices[i])).Sum(i => (double)both.Values[i] * both.Values[i]);
        // The words' block has length sqrt(0.36) = 0.6 and keeps the proportions of the words' own vector.
        Assert.Equal(0.36, SquaredLength(wordBuckets.Contains), 5);
        Assert.Equal(0.64, SquaredLength(i => !wordBuckets.Contains(i)), 5);
        var first = Array.IndexOf(both.Indices, words.Indices[0], 0, both.Count);
        Assert.Equal(words.Values[0] * 0.6f, both.Values[first], 5);
        // Without a share the character n-grams, many more, take most of the length.
        var wordsInAll = Enumerable.Range(0, all.Count).Where(i => wordBuckets.Contains(all.Indices[i])).Sum(i => (double)all.Values[i] * all.Values[i]);
        Assert.InRange(wordsInAll, 0.05, 0.3);
    }

    [Fact]
    public void Folded_tokens_longer_than_their_text_and_a_long_post_fit_the_reused_buffers()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        var vector = new FeatureVector();
        // "@a" and "1" become "_user_" and "_num_": more characters than the text had.
        var folded = string.Concat(Enumerable.Repeat("@a 1 ", 500));
        Assert.Equal(1000, featurizer.Words(folded).Count);
        featurizer.Extract(folded, vector);
        Assert.Equal(4, vector.Count); // _user_, _num_ and the bigrams "_user_ _num_" and "_num_ _user_"
        var words = featurizer.Words(string.Join(' ', Enumerable.Range(0, 400).Select(i => $"word{(char)('a' + (i % 26))}x")));
        Assert.Equal(400, words.Count);
        Assert.Equal("wordbx", words[1]);
        // The shorter post after them is read on its own.
        Assert.Equal(["flood"], featurizer.Words("Flood"));
    }

    [Fact]
    public void Normalising_strips_accents_squashes_repeated_letters_and_folds_a_retweet()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions(Normalise: true));
        Assert.Equal(
            [TextFeaturizer.RetweetToken, TextFeaturizer.MentionToken, "terremoto", "en", "canas", "sismo", "soo", "fuerte", "ayudaa", TextFeaturizer.NumberToken],
            featurizer.Words("RT @CNE: Terremoto en CAÑAS: ¡sismo SOOOO fuerte! AYUDAAAA 112"));
        // Accents written as combining marks go too; letters that are not a letter plus accents stay; digits are not squashed.
        Assert.Equal(["cafe", "straße", "ærø", "a1000"], featurizer.Words("cafe\u0301 Straße Ærø a1000"));
        // Other scripts are left alone; "rt" inside a sentence in lower case is a word.
        Assert.Equal(["метеорит", "rt"], featurizer.Words("Метеорит rt"));
    }

    [Fact]
    public void Without_normalising_accents_and_repeats_stay()
    {
        var featurizer = new TextFeaturizer(new FeaturizerOptions());
        Assert.Equal(["rt", "cañas", "soooo"], featurizer.Words("RT Cañas SOOOO"));
    }

    [Fact]
    public void A_hashtag_adds_its_own_feature_and_its_CamelCase_parts_as_words()
    {
        var options = new FeaturizerOptions(20, 1, 0, 0, Normalise: true);
        var featurizer = new TextFeaturizer(options);
        HashSet<int> Features(string text)
        {
            var vector = new FeatureVector();
            featurizer.Extract(text, vector);
            return [.. vector.Indices.Take(vector.Count)];
        }

        var tag = Features("#PrayForBoston");
        var word = Features("PrayForBoston");
        // The word itself, the hashtag's feature, and "pray", "for", "boston" as the words they are.
        Assert.Single(word);
        Assert.Equal(5, tag.Count);
        Assert.Superset(word, tag);
        Assert.Superset(Features("pray for boston"), tag);
        // One part: the word and the hashtag's feature only; the hashtag differs from the word.
        Assert.Equal(2, Features("#yycflood").Count);
        Assert.Equal(["prayforboston"], new TextFeaturizer(options with { Normalise = false }).Words("#PrayForBoston"));
    }

    [Fact]
    public void Hashing_is_stable_across_runs()
    {
        // FNV-1a of "a" from the standard offset basis; string.GetHashCode would differ per process.
        Assert.Equal(0xE40C292Cu, TextFeaturizer.Hash(0x811C9DC5, "a"));
    }
}
