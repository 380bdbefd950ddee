using CrisisDesk.Web.Features.Enquiries;

namespace CrisisDesk.UnitTests.Replies;

public sealed class EnquiryMatcherTests
{
    private static readonly string[] Words = ["when", "where", "is", "can", "how"];
    private static readonly string[] Handles = ["@RiversideCC", "riverside@mastodon.example", "riverside.bsky.social"];

    [Theory]
    [InlineData("@riversidecc is the A38 closed", "question")]
    [InlineData("@RIVERSIDECC: any news?", "question")]
    [InlineData("Flooding again. @riversidecc when does the road reopen", "question")]
    [InlineData("@riverside@mastodon.example where is the rest centre", "question")]
    [InlineData("@riverside can you confirm?", "question")]
    [InlineData("@riverside.bsky.social how deep is it", "question")]
    [InlineData("(@riversidecc) is it true?", "question")]
    public void A_mention_with_a_question_is_an_enquiry(string text, string reason) =>
        Assert.Equal(reason, EnquiryMatcher.Match(text, Handles, requireQuestion: true, Words));

    [Theory]
    [InlineData("Thanks @riversidecc for the update.")]
    [InlineData("@riversidecc_fan is this true?")]
    [InlineData("mail me at x@riversidecc? no")]
    [InlineData("@riverside@other.social is this true?")]
    [InlineData("@riverside.bsky.socialite is this true?")]
    [InlineData("is the A38 closed? nobody says")]
    [InlineData("")]
    public void Anything_else_is_not(string text) =>
        Assert.Null(EnquiryMatcher.Match(text, Handles, requireQuestion: true, Words));

    [Fact]
    public void Without_the_question_rule_a_mention_alone_is_an_enquiry()
    {
        Assert.Equal("mention", EnquiryMatcher.Match("Thanks @riversidecc for the update.", Handles, requireQuestion: false, Words));
        Assert.Equal("question", EnquiryMatcher.Match("@riversidecc when?", Handles, requireQuestion: false, Words));
    }

    [Fact]
    public void A_question_word_counts_only_where_a_sentence_starts()
    {
        Assert.False(EnquiryMatcher.IsQuestion("The road is closed.", Words));
        Assert.True(EnquiryMatcher.IsQuestion("The road is shut. When will it open", Words));
        Assert.True(EnquiryMatcher.IsQuestion("道路は？", Words));
    }
}
