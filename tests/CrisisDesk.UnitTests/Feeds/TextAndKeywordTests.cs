using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class TextAndKeywordTests
{
    [Theory]
    [InlineData("<p>Hello <b>world</b></p>", "Hello world")]
    [InlineData("a<br/>b", "a\nb")]
    [InlineData("Fish &amp; chips &#8217; &lt;tag&gt;", "Fish & chips \u2019 <tag>")]
    [InlineData("<p>x</p><script>alert('no')</script><style>p{}</style><p>y</p>", "x\ny")]
    [InlineData("1 < 2 and 3 > 2", "1 < 2 and 3 > 2")]
    [InlineData("  lots \n\n of   space  ", "lots\nof space")]
    [InlineData("<!-- hidden --><i>shown</i>", "shown")]
    public void Html_is_reduced_to_its_text(string html, string expected) => Assert.Equal(expected, HtmlText.ToPlainText(html));

    [Fact]
    public void Long_text_is_cut_at_a_word_with_an_ellipsis()
    {
        var text = HtmlText.ToPlainText(string.Join(' ', Enumerable.Repeat("word", 100)), 50);
        Assert.True(text.Length <= 51);
        Assert.EndsWith("word…", text);
    }

    [Theory]
    [InlineData("Flood warning issued", true)]
    [InlineData("FLOOD, again", true)]
    [InlineData("Stay safe #flood", true)]
    [InlineData("Floodlights fail at stadium", false)]
    [InlineData("The floods are rising", false)]
    [InlineData("River  Severn\nbursts its banks", true)]
    [InlineData("Traffic on the #A34 is stopped", true)]
    [InlineData("The A34 is stopped", false)]
    [InlineData("#A345 closed", false)]
    [InlineData("Crue de la Sèvre", false)]
    [InlineData("Nothing to see", false)]
    public void Keywords_match_on_word_boundaries_case_insensitively(string text, bool expected)
    {
        var matcher = new KeywordMatcher(["flood", "river severn", "#A34"]);
        Assert.Equal(expected, matcher.IsMatch(text));
    }

    [Fact]
    public void Matches_lists_each_keyword_found_and_empty_keywords_match_everything()
    {
        var matcher = new KeywordMatcher(["flood", " ", "dam", "Flood"]);
        Assert.Equal(["flood", "dam"], matcher.Keywords);
        Assert.Equal(["flood", "dam"], matcher.Matches("Dam fails; flood follows"));
        Assert.True(new KeywordMatcher([]).IsMatch("anything"));
    }

    [Fact]
    public void Keywords_with_regex_characters_are_literal()
    {
        var matcher = new KeywordMatcher(["A&E", "c++ (beta)"]);
        Assert.True(matcher.IsMatch("Queues at A&E tonight"));
        Assert.True(matcher.IsMatch("about c++ (beta) release"));
        Assert.False(matcher.IsMatch("AxE"));
    }
}
