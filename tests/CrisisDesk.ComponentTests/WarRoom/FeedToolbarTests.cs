using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.ComponentTests.WarRoom;

public sealed class FeedToolbarTests : ComponentTest
{
    [Fact]
    public void Live_it_shows_the_total_and_offers_pause()
    {
        var toolbar = Context.Render<FeedToolbar>(p => p.Add(c => c.Total, 238));

        Assert.Equal("238", toolbar.Find("[data-testid=feed-total]").TextContent);
        Assert.Contains("238 posts", toolbar.Find(".wr-feed-count").TextContent);
        Assert.Single(toolbar.FindAll("[data-testid=feed-pause]"));
        Assert.Empty(toolbar.FindAll("[data-testid=feed-pending]"));
    }

    [Fact]
    public void Paused_it_counts_what_waits_and_resume_says_how_many()
    {
        var resumed = false;
        var toolbar = Context.Render<FeedToolbar>(p => p.Add(c => c.Total, 200).Add(c => c.Pending, 12).Add(c => c.Paused, true)
            .Add(c => c.OnResume, () => resumed = true));

        Assert.Equal("12 new", toolbar.Find("[data-testid=feed-pending]").TextContent);
        Assert.Equal("polite", toolbar.Find("[data-testid=feed-pending]").GetAttribute("aria-live"));
        Assert.Contains("Resume (12 new)", toolbar.Find("[data-testid=feed-resume]").TextContent);
        Assert.Empty(toolbar.FindAll("[data-testid=feed-pause]"));

        toolbar.Find("[data-testid=feed-resume]").Click();
        Assert.True(resumed);
    }

    [Fact]
    public void The_count_says_match_under_a_filter_and_every_key_has_a_button()
    {
        var moves = new List<string>();
        var toolbar = Context.Render<FeedToolbar>(p => p.Add(c => c.Total, 5).Add(c => c.Filtered, true)
            .Add(c => c.OnNext, () => moves.Add("j")).Add(c => c.OnPrevious, () => moves.Add("k")).Add(c => c.OnHelp, () => moves.Add("?")));

        toolbar.Find("[data-testid=select-next]").Click();
        toolbar.Find("[data-testid=select-previous]").Click();
        toolbar.Find("[data-testid=shortcuts-open]").Click();

        Assert.Contains("5 posts match", toolbar.Find(".wr-feed-count").TextContent);
        Assert.Equal(["j", "k", "?"], moves);
    }
}
