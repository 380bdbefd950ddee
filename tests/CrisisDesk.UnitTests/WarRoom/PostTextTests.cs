using CrisisDesk.Web.Features.Triage;

namespace CrisisDesk.UnitTests.WarRoom;

public sealed class PostTextTests
{
    [Fact]
    public void A_short_text_is_shown_whole()
    {
        Assert.Equal(("Bridge closed", false), PostText.Excerpt("Bridge closed", 13, PostText.CardChars));
    }

    [Fact]
    public void A_five_megabyte_text_is_cut_to_the_card_s_length_and_says_so()
    {
        var huge = new string('a', 5 * 1024 * 1024);

        var (shown, cut) = PostText.Excerpt(huge, huge.Length, PostText.CardChars);

        Assert.True(cut);
        Assert.Equal(PostText.CardChars, shown.Length);
    }

    [Fact]
    public void A_text_read_already_cut_by_the_query_counts_as_cut_by_its_whole_length()
    {
        var (shown, cut) = PostText.Excerpt("abc", textLength: 5_000_000, max: 10);

        Assert.True(cut);
        Assert.Equal("abc", shown);
    }

    [Fact]
    public void The_cut_never_splits_a_surrogate_pair()
    {
        var text = new string('a', 9) + "😀" + "tail";

        var (shown, cut) = PostText.Excerpt(text, text.Length, 10);

        Assert.True(cut);
        Assert.Equal(new string('a', 9), shown);
    }

    [Fact]
    public void Lengths_read_as_numbers_with_separators()
    {
        Assert.Equal("5,242,880 characters", PostText.Length(5_242_880));
    }
}
