using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Rebuttals;

namespace CrisisDesk.ComponentTests.Rebuttals;

public sealed class CounterTests : ComponentTest
{
    [Fact]
    public void A_text_that_fits_shows_its_length_against_the_limit_and_no_warning()
    {
        var counter = Context.Render<Counter>(p => p.Add(c => c.Length, ChannelText.Count(TextChannel.Bluesky, "Road closed")));

        Assert.Contains("11 / 300", counter.Markup);
        Assert.Empty(counter.FindAll("strong"));
    }

    [Fact]
    public void A_text_over_the_limit_says_by_how_much_in_words()
    {
        var counter = Context.Render<Counter>(p => p.Add(c => c.Length, ChannelText.Count(TextChannel.Bluesky, new string('a', 305))));

        Assert.Contains("too long by 5", counter.Find("strong").TextContent);
    }
}
