using CrisisDesk.Core.Stories;

namespace CrisisDesk.UnitTests.Stories;

public class StoryTextNormaliserTests
{
    [Fact]
    public void Retweet_prefix_links_and_mentions_are_dropped()
    {
        var tokens = StoryTextNormaliser.Tokenise("RT @coloradoan: #HighParkFire UPDATE: Re-Evacuations for Hwy 14 http://t.co/abc @9NEWS");

        Assert.Equal(new[] { "highparkfire", "update", "re", "evacuations", "for", "hwy", "14" }, tokens);
    }

    [Fact]
    public void Casing_punctuation_entities_accents_apostrophes_and_emoji_do_not_matter()
    {
        var a = StoryTextNormaliser.Tokenise("Fire near PIKE'S Peak &amp; Düsseldorf!!! 🙏🔥");
        var b = StoryTextNormaliser.Tokenise("fire near pikes peak & dusseldorf");

        Assert.Equal(b, a);
        Assert.Equal(new[] { "fire", "near", "pikes", "peak", "dusseldorf" }, a);
    }

    [Fact]
    public void Quote_copies_with_wrapped_mentions_lose_the_mention()
    {
        var tokens = StoryTextNormaliser.Tokenise("RT @DorrieF: “@Mookalicious: This pic needs to go viral.”");

        Assert.Equal(new[] { "this", "pic", "needs", "to", "go", "viral" }, tokens);
    }

    [Fact]
    public void Truncated_retweets_drop_the_possibly_cut_last_word()
    {
        var tokens = StoryTextNormaliser.Tokenise("RT @ExamineDisaster: NASA releases view of wildfires #HighPa ...");

        Assert.Equal(new[] { "nasa", "releases", "view", "of", "wildfires" }, tokens);
        Assert.Equal(new[] { "a", "b" }, StoryTextNormaliser.Tokenise("a b c…"));
    }

    [Fact]
    public void Text_of_only_links_mentions_and_emoji_has_no_words()
    {
        Assert.Empty(StoryTextNormaliser.Tokenise("@someone https://example.org/x 🙌🙏 www.example.com"));
        Assert.Empty(StoryTextNormaliser.Tokenise(""));
    }

    [Fact]
    public void Non_latin_words_are_kept()
    {
        var tokens = StoryTextNormaliser.Tokenise("Пожар в Москве — 火事");

        Assert.Equal(new[] { "пожар", "в", "москве", "火事" }, tokens);
    }
}
