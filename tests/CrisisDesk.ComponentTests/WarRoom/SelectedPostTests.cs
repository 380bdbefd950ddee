using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.ComponentTests.WarRoom;

public sealed class SelectedPostTests : ComponentTest
{
    private static TriagePost Post(string text) =>
        new(9, "news", null, "Wessex Evening News", new DateTime(2015, 3, 24, 10, 37, 41, DateTimeKind.Utc), text, "https://news.example/1", false, "en", null, 0, false, false, null);

    [Fact]
    public void The_drawer_shows_the_whole_text_and_its_actions_for_an_operator()
    {
        var drawer = Context.Render<SelectedPost>(p => p.Add(c => c.Post, Post("Bridge closed <until> further notice")).Add(c => c.CanTriage, true));

        Assert.Equal("Bridge closed <until> further notice", drawer.Find("[data-testid=selected-text]").TextContent);
        Assert.Contains("News and feeds", drawer.Markup);
        Assert.Single(drawer.FindAll("[data-testid=selected-flag]"));
        Assert.Empty(drawer.FindAll("[data-testid=selected-cut]"));
    }

    [Fact]
    public void A_viewer_reads_the_post_without_triage_actions()
    {
        var drawer = Context.Render<SelectedPost>(p => p.Add(c => c.Post, Post("text")).Add(c => c.CanTriage, false));

        Assert.Empty(drawer.FindAll("[data-testid=selected-flag]"));
        Assert.Empty(drawer.FindAll("[data-testid=selected-review]"));
    }

    [Fact]
    public void A_huge_post_is_capped_in_the_drawer_too_and_says_how_long_it_is()
    {
        var huge = new string('y', PostText.DrawerRead);

        var drawer = Context.Render<SelectedPost>(p => p.Add(c => c.Post, Post(huge) with { TextLength = 5_242_880 }));

        Assert.Equal(PostText.DrawerChars + 1, drawer.Find("[data-testid=selected-text]").TextContent.Length); // the text and "…"
        Assert.Contains("5,242,880 characters", drawer.Find("[data-testid=selected-cut]").TextContent);
    }
}
