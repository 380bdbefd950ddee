using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Replies;

namespace CrisisDesk.UnitTests.Replies;

public sealed class ThreadRefTests
{
    [Fact]
    public void X_replies_name_the_tweet_id()
    {
        var (thread, problem) = ThreadRef.Of("x", "1790000000000000001", """{"rule_tags":[]}""");
        Assert.Null(problem);
        Assert.Equal("1790000000000000001", thread!.TweetId);
    }

    [Fact]
    public void Mastodon_replies_keep_the_parents_visibility_and_default_to_public()
    {
        Assert.Equal(("109", "unlisted"), ThreadRef.Of("mastodon", "109", """{"visibility":"unlisted"}""").Ref is { } r ? (r.StatusId, r.Visibility) : default);
        Assert.Equal("public", ThreadRef.Of("mastodon", "110", null).Ref!.Visibility);
    }

    [Fact]
    public void A_bluesky_reply_to_a_top_post_uses_it_as_root_and_to_a_reply_uses_that_replys_root()
    {
        const string uri = "at://did:plc:a/app.bsky.feed.post/3k1";
        var top = ThreadRef.Of("bluesky", uri, """{"version":"bafyA"}""").Ref!;
        Assert.Equal((new StrongRef(uri, "bafyA"), new StrongRef(uri, "bafyA")), (top.Parent, top.Root));

        var nested = ThreadRef.Of("bluesky", uri, """{"version":"bafyA","reply_root_uri":"at://did:plc:b/app.bsky.feed.post/3k0","reply_root_cid":"bafyR"}""").Ref!;
        Assert.Equal((new StrongRef(uri, "bafyA"), new StrongRef("at://did:plc:b/app.bsky.feed.post/3k0", "bafyR")), (nested.Parent, nested.Root));

        var roundTrip = ThreadRef.FromJson(nested.ToJson());
        Assert.Equal(nested, roundTrip);
    }

    [Theory]
    [InlineData("bluesky", "at://did:plc:a/app.bsky.feed.post/3k1", "{}")]
    [InlineData("news", "https://example.org/a", "{}")]
    [InlineData("x", "not-a-tweet-id", "{}")]
    public void A_post_a_reply_cannot_name_is_refused_with_the_reason(string platform, string externalId, string extra)
    {
        var (thread, problem) = ThreadRef.Of(platform, externalId, extra);
        Assert.Null(thread);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void A_rate_limit_reset_reads_as_a_utc_time_of_day_from_unix_seconds_or_iso()
    {
        Assert.Equal("09:15:00 UTC", ReplyChannel.ResetText(new DateTimeOffset(2026, 12, 5, 9, 15, 0, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("09:15:00 UTC", ReplyChannel.ResetText("2026-12-05T09:15:00.000Z"));
        Assert.Null(ReplyChannel.ResetText("soon"));
    }

    [Fact]
    public void Metrics_count_the_wait_to_the_first_answer_the_open_over_time_and_the_share_per_channel()
    {
        var t0 = new DateTime(2026, 12, 5, 9, 0, 0, DateTimeKind.Utc);
        List<EnquiryTimes> enquiries =
        [
            new("x", "answered", t0, t0.AddMinutes(4), t0.AddMinutes(4)),
            new("x", "open", t0.AddMinutes(1), null, null),
            new("mastodon", "answered", t0.AddMinutes(2), t0.AddMinutes(12), t0.AddMinutes(12)),
            new("mastodon", "no-answer-needed", t0.AddMinutes(3), null, t0.AddMinutes(5)),
        ];

        var metrics = EnquiryMetrics.Compute(enquiries, t0.AddMinutes(60), TimeSpan.FromMinutes(30), points: 7);

        Assert.Equal((4, 1, 1, 2), (metrics.Total, metrics.Open, metrics.Overdue, metrics.Answered));
        Assert.Equal(TimeSpan.FromMinutes(7), metrics.MedianFirstAnswer);
        Assert.Equal(TimeSpan.FromMinutes(7), metrics.MeanFirstAnswer);
        Assert.Equal([("mastodon", 2, 1), ("x", 2, 1)], metrics.PerChannel.Select(c => (c.Platform, c.Total, c.Answered)).ToArray());
        Assert.Equal(0.5, metrics.PerChannel[0].Share);
        Assert.Equal(7, metrics.OpenOverTime.Count);
        Assert.Equal((t0, 1), (metrics.OpenOverTime[0].At, metrics.OpenOverTime[0].Open));
        Assert.Equal(1, metrics.OpenOverTime[^1].Open);
    }
}
