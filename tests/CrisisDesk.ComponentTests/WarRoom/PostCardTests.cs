using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.ComponentTests.WarRoom;

public sealed class PostCardTests : ComponentTest
{
    private static TriagePost Post(string text = "hello", string? url = null) =>
        new(1, "x", "alice", "Alice", new DateTime(2015, 3, 24, 10, 37, 41, DateTimeKind.Utc), text, url, false, "en", null, 0, false, false, null);

    private IRenderedComponent<PostCard> Render(TriagePost post, bool canTriage = true) =>
        Context.Render<PostCard>(p => p.Add(c => c.Post, post).Add(c => c.CanTriage, canTriage));

    [Fact]
    public void Post_text_is_rendered_as_text_never_as_markup()
    {
        var card = Render(Post(text: "<script>alert('x')</script><b>bold</b> & <img src=x onerror=alert(1)>"));

        Assert.Empty(card.FindAll("script"));
        Assert.Empty(card.FindAll("b"));
        Assert.Empty(card.FindAll("p.text img"));
        Assert.Equal("<script>alert('x')</script><b>bold</b> & <img src=x onerror=alert(1)>", card.Find("p.text").TextContent.Trim());
    }

    [Fact]
    public void Search_highlights_are_our_own_marks_and_a_forged_tag_stays_text()
    {
        var headline = $"the co-pilot was a <b>{HighlightedText.Start}convert{HighlightedText.Stop}</b>";

        var card = Render(Post(text: "the co-pilot was a <b>convert</b>") with { Headline = headline });

        Assert.Equal("convert", card.Find("p.text mark").TextContent);
        Assert.Empty(card.FindAll("p.text b"));
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("not a url")]
    public void Only_http_links_are_rendered(string url)
    {
        Assert.Empty(Render(Post(url: url)).FindAll("a[href]"));
    }

    [Fact]
    public void Platform_author_time_and_link_are_shown_in_words()
    {
        var card = Render(Post(url: "https://x.com/a/status/1"));

        Assert.Equal("X", card.Find(".platform").TextContent);
        Assert.Equal("X (Twitter)", card.Find(".platform").GetAttribute("title"));
        Assert.Equal("Alice @alice", card.Find(".author").TextContent);
        Assert.Contains("24 Mar 10:37:41 UTC", card.Find("time").TextContent);
        var link = card.Find("a[href='https://x.com/a/status/1']");
        Assert.Equal("noopener noreferrer", link.GetAttribute("rel"));
    }

    [Fact]
    public void An_operator_sees_flag_and_reviewed_and_a_viewer_sees_neither()
    {
        var operatorCard = Render(Post(), canTriage: true);
        var viewerCard = Render(Post(), canTriage: false);

        Assert.Single(operatorCard.FindAll("[data-testid=post-flag]"));
        Assert.Single(operatorCard.FindAll("[data-testid=post-review]"));
        Assert.Empty(viewerCard.FindAll("[data-testid=post-flag]"));
        Assert.Empty(viewerCard.FindAll("[data-testid=post-review]"));
        Assert.Single(viewerCard.FindAll("[data-testid=post-open]"));
    }

    [Fact]
    public void Flag_and_review_call_back_with_the_post_without_selecting_it()
    {
        TriagePost? flagged = null, reviewed = null, selected = null;
        var card = Context.Render<PostCard>(p => p.Add(c => c.Post, Post()).Add(c => c.CanTriage, true)
            .Add(c => c.OnFlag, post => flagged = post).Add(c => c.OnReview, post => reviewed = post).Add(c => c.OnSelect, post => selected = post));

        card.Find("[data-testid=post-flag]").Click();
        card.Find("[data-testid=post-review]").Click();

        Assert.Equal(1, flagged?.Id);
        Assert.Equal(1, reviewed?.Id);
        Assert.Null(selected);
    }

    [Fact]
    public void A_huge_post_shows_only_the_card_s_excerpt_and_offers_show_more_with_its_length()
    {
        var huge = new string('x', 5 * 1024 * 1024);

        var card = Render(Post(text: huge));

        Assert.InRange(card.Find("p.text").TextContent.Length, PostText.CardChars, PostText.CardChars + 20);
        Assert.Contains("Show more (5,242,880 characters)", card.Find("[data-testid=post-more]").TextContent);
        Assert.Empty(card.FindAll("[data-testid=post-open]"));
    }

    [Fact]
    public void An_edited_post_shows_an_edited_mark_that_opens_it_and_a_plain_one_does_not()
    {
        TriagePost? opened = null;
        var edited = Context.Render<PostCard>(p => p.Add(c => c.Post, Post(text: "Bridge reopened") with { EditedAt = new DateTime(2015, 3, 24, 10, 45, 2, DateTimeKind.Utc) })
            .Add(c => c.OnOpen, post => opened = post));

        edited.Find("[data-testid=post-edited]").Click();

        Assert.Equal(1, opened?.Id);
        Assert.Contains("Edited 24 Mar 10:45:02 UTC", edited.Find("[data-testid=post-edited]").GetAttribute("title"));
        Assert.Empty(Render(Post()).FindAll("[data-testid=post-edited]"));
    }

    [Fact]
    public void A_deleted_post_says_deleted_by_author_and_keeps_its_text()
    {
        var card = Render(Post(text: "Evacuate <now>") with { DeletedAt = new DateTime(2015, 3, 24, 11, 0, 0, DateTimeKind.Utc) });

        Assert.Contains("deleted", card.Find("article.post").ClassList);
        Assert.Equal("deleted by author", card.Find("[data-testid=post-deleted]").TextContent);
        Assert.Equal("Evacuate <now>", card.Find("p.text").TextContent.Trim());
    }

    [Fact]
    public void A_photo_shows_as_a_thumbnail_only_from_an_https_address()
    {
        var withPhoto = Render(Post() with { HasMedia = true, Thumbnail = "https://pbs.twimg.com/media/x.png" });
        var insecure = Render(Post() with { HasMedia = true, Thumbnail = "javascript:alert(1)" });

        Assert.Equal("https://pbs.twimg.com/media/x.png", withPhoto.Find("img.post-thumb").GetAttribute("src"));
        Assert.Equal("no-referrer", withPhoto.Find("img.post-thumb").GetAttribute("referrerpolicy"));
        Assert.Empty(insecure.FindAll("img"));
    }
}
