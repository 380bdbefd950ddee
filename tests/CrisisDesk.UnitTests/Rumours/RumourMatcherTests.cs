using CrisisDesk.Core.Rumours;

namespace CrisisDesk.UnitTests.Rumours;

public class RumourMatcherTests
{
    [Fact]
    public void Keywords_come_from_the_claim_without_function_words()
    {
        Assert.Equal(["zoo", "animals", "sheltered", "courts"], RumourMatcher.KeywordsOf("The zoo animals are sheltered at the Courts"));
    }

    [Fact]
    public void A_post_carrying_most_keywords_matches_with_the_words_it_shares()
    {
        var matcher = new RumourMatcher("Zoo animals sheltered at the Courts", [], []);

        var match = matcher.Match("Heard the ZOO animals are being sheltered downtown?? #yycflood");

        Assert.NotNull(match);
        Assert.Equal(0.75, match.Score);
        Assert.Contains("zoo, animals, sheltered", match.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_post_sharing_one_word_does_not_match()
    {
        var matcher = new RumourMatcher("Zoo animals sheltered at the Courts", [], []);

        Assert.Null(matcher.Match("The zoo is closed today"));
        Assert.Null(matcher.Match("Completely unrelated traffic report"));
    }

    [Fact]
    public void Given_keywords_replace_the_claims_words()
    {
        var matcher = new RumourMatcher("Something about the dam", ["dam", "breach"], []);

        Assert.NotNull(matcher.Match("reports of a DAM breach upstream"));
        Assert.Null(matcher.Match("something about the weather"));
    }

    [Fact]
    public void A_near_copy_of_a_linked_post_matches_even_without_keywords()
    {
        var matcher = new RumourMatcher("Second gunman at the mall", [], ["Police say there is a second shooter inside the Rideau Centre, stay away"]);

        var match = matcher.Match("RT @someone: Police say there is a second shooter inside the Rideau Centre, stay away http://t.co/x");

        Assert.NotNull(match);
        Assert.Equal(1.0, match.Score);
    }
}
