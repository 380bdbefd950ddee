using CrisisDesk.Core.Classification;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>
/// VADER's rules, each against the compound score VADER's own distribution publishes for the same sentence (its README
/// examples, 4 decimals), so that a rule implemented differently shows here.
/// </summary>
public class VaderSentimentTests
{
    private static readonly VaderSentiment Vader = VaderSentiment.Default;

    private static void AssertScore(double expected, string text) => Assert.Equal(expected, Math.Round(Vader.Score(text), 4));

    [Fact]
    public void Lexicon_words_sum_and_normalise()
    {
        AssertScore(0.8316, "VADER is smart, handsome, and funny.");
        AssertScore(0.4404, "The book was good.");
        Assert.Equal(0, Vader.Score("The train leaves at nine from platform two."));
        Assert.Equal(0, Vader.Score(""));
    }

    [Fact]
    public void Negation_flips_and_weakens_the_word_it_precedes()
    {
        AssertScore(-0.7424, "VADER is not smart, handsome, nor funny.");
        AssertScore(0.431, "Not bad at all");
        Assert.True(Vader.Score("this is not good") < 0);
        Assert.True(Vader.Score("this isn't good") < 0, "any word with n't negates");
        // Negation reaches three words back.
        Assert.True(Vader.Score("I don't think it's good") < 0);
    }

    [Fact]
    public void At_least_is_not_a_negation_but_least_is()
    {
        AssertScore(0.431, "At least it isn't a horrible book.");
        Assert.True(Vader.Score("the least happy day") < 0);
    }

    [Fact]
    public void Boosters_strengthen_and_dampeners_weaken()
    {
        AssertScore(0.8545, "VADER is very smart, handsome, and funny.");
        AssertScore(0.3832, "The book was only kind of good.");
        Assert.True(Vader.Score("the damage is extremely bad") < Vader.Score("the damage is bad"));
        Assert.True(Vader.Score("the damage is slightly bad") > Vader.Score("the damage is bad"));
    }

    [Fact]
    public void Capitals_among_lower_case_words_add_emphasis()
    {
        AssertScore(0.9227, "VADER is VERY SMART, handsome, and FUNNY.");
        AssertScore(-0.5461, "Today SUX!");
        // All in capitals: no word stands out, so no emphasis.
        Assert.Equal(Math.Round(Vader.Score("this is great news"), 6), Math.Round(Vader.Score("THIS IS GREAT NEWS"), 6));
    }

    [Fact]
    public void Exclamation_and_question_marks_add_emphasis_in_the_direction_of_the_sum()
    {
        AssertScore(0.8439, "VADER is smart, handsome, and funny!");
        AssertScore(0.9342, "VADER is VERY SMART, handsome, and FUNNY!!!");
        AssertScore(0.9469, "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!");
        Assert.Equal(4 * 0.292, VaderSentiment.PunctuationEmphasis("!!!!!!"), 6);
        Assert.Equal(3 * 0.18, VaderSentiment.PunctuationEmphasis("really??? "), 6);
        Assert.Equal(0.96, VaderSentiment.PunctuationEmphasis("????"), 6);
        Assert.True(Vader.Score("terrible!!!") < Vader.Score("terrible"));
    }

    [Fact]
    public void But_weighs_what_follows_it_more()
    {
        AssertScore(-0.7042, "The plot was good, but the characters are uncompelling and the dialog is not great.");
        AssertScore(0.5249, "Today only kinda sux! But I'll get by, lol");
    }

    [Fact]
    public void Emoticons_score_as_words_and_capital_ones_are_emphatic()
    {
        AssertScore(0.8633, "Make sure you :) or :D today!");
        Assert.True(Vader.Score("flooded again :(") < Vader.Score("flooded again"));
    }

    [Fact]
    public void Emoji_are_read_as_their_names()
    {
        Assert.Equal("lost everything crying face", Emoji.Describe("lost everything😢"));
        Assert.Equal("stay safe folded hands red heart", Emoji.Describe("stay safe 🙏❤️"));
        Assert.Same("plain text", Emoji.Describe("plain text"));
        Assert.True(Vader.Score("We lost everything 😢") < Vader.Score("We lost everything"));
        Assert.True(Vader.Score("Everyone is safe 🙏❤️") > Vader.Score("Everyone is safe"));
    }

    [Fact]
    public void Special_idioms_override_their_words()
    {
        // "broken heart" is −2.9 as a phrase, though "heart" alone is +3.2.
        Assert.True(Vader.Score("she died of a broken heart") < 0);
    }

    [Fact]
    public void Tokens_lose_surrounding_punctuation_unless_they_are_emoticons()
    {
        Assert.Equal(["Hello", "world", ":)", ":-(", "it's"], VaderSentiment.Tokenise("Hello, world! :) :-( \"it's\""));
    }

    [Fact]
    public void Scores_stay_within_minus_one_and_one()
    {
        Assert.InRange(Vader.Score(string.Join(' ', Enumerable.Repeat("LOVE love AMAZING!!!", 50))), 0.99, 1.0);
        Assert.InRange(Vader.Score(string.Join(' ', Enumerable.Repeat("dead KILLED horrible", 50))), -1.0, -0.99);
        Assert.Equal(1, VaderSentiment.Mood(0.05));
        Assert.Equal(0, VaderSentiment.Mood(0.049));
        Assert.Equal(-1, VaderSentiment.Mood(-0.05));
    }
}
