using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Core.Posts;
using CrisisDesk.TestSupport;

namespace CrisisDesk.UnitTests.Ingest;

/// <summary>
/// Whatever a platform sends, what normalisation hands the writer can be stored: no NUL or lone surrogate (PostgreSQL
/// refuses them in text and jsonb), and no text beyond its platform's cap.
/// </summary>
public sealed class StorablePostTests
{
    public static TheoryData<string, string> Formats()
    {
        var data = new TheoryData<string, string>();
        foreach (var (format, platform) in HostilePosts.Formats)
            data.Add(format, platform);
        return data;
    }

    private static Post Normalise(RawItem item)
    {
        var result = PostFormats.Default.Normalise(item);
        Assert.True(result.Post is not null, $"not a post: {result.Error}");
        return result.Post!;
    }

    private static void AssertStorable(Post post)
    {
        foreach (var text in new[] { post.Platform, post.ExternalId, post.AuthorHandle, post.AuthorName, post.Text, post.Url, post.Language, post.Extra })
        {
            Assert.False(text?.Contains('\0', StringComparison.Ordinal) ?? false, $"a NUL is left in \"{text}\"");
            Assert.DoesNotContain("\\u0000", text ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.Equal(text, StorablePost.Text(text));
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_nul_in_any_platforms_post_is_replaced(string format, string platform)
    {
        var post = Normalise(HostilePosts.Item(format, 1, "Flood\\u0000ing on the A38", "1"));

        Assert.Equal(platform, post.Platform);
        Assert.Contains("Flood\uFFFDing on the A38", post.Text, StringComparison.Ordinal);
        AssertStorable(post);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_lone_surrogate_never_stops_normalisation(string format, string platform)
    {
        var result = PostFormats.Default.Normalise(HostilePosts.Item(format, 1, "Flood \\ud800 warning", "1"));

        // Either stored with the half pair replaced, or quarantined with the reason: never an exception.
        if (result.Post is { } post)
        {
            Assert.Equal(platform, post.Platform);
            AssertStorable(post);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(result.Error));
        }
    }

    [Fact]
    public void Json_extra_keeps_valid_escapes_and_pairs_and_replaces_nul_and_half_pairs()
    {
        Assert.Equal("""{"a":"x\uFFFDy","b":"\ud83c\udf0a","c":"\uFFFD","d":"\\u0000","e":"\u00e9\n"}""",
            StorablePost.Json("""{"a":"x\u0000y","b":"\ud83c\udf0a","c":"\ud83c","d":"\\u0000","e":"\u00e9\n"}"""));
        Assert.Equal("{\"a\":\"\uFFFD\"}", StorablePost.Json("{\"a\":\"\0\"}"));
        const string clean = """{"a":"plain"}""";
        Assert.Same(clean, StorablePost.Json(clean));
    }

    [Fact]
    public void Text_replaces_lone_surrogates_and_keeps_pairs()
    {
        Assert.Equal("a\uFFFDb\uD83C\uDF0Ac\uFFFD", StorablePost.Text("a\uDC00b\uD83C\uDF0Ac\uD800"));
    }

    [Theory]
    [InlineData(StreamFormats.XFilteredStream, 25_000)]
    [InlineData(StreamFormats.MastodonStatus, 100_000)]
    [InlineData(StreamFormats.BlueskyJetstream, 3_000)]
    [InlineData(PostJsonLinesFormat.Name, 25_000)]
    public void An_over_long_post_is_cut_at_its_platforms_cap_with_a_marker(string format, int cap)
    {
        var post = Normalise(HostilePosts.Item(format, 1, new string('w', 400_000), "1"));

        Assert.Equal(cap, StorablePost.MaxTextLength(post.Platform));
        Assert.StartsWith(new string('w', cap) + "\n[… truncated by CrisisDesk: 400,000 characters in all, " + cap.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " kept]", post.Text, StringComparison.Ordinal);
        Assert.True(post.Text.Length < cap + 100);
    }

    [Fact]
    public void A_post_within_its_cap_is_untouched()
    {
        var post = Normalise(HostilePosts.Item(StreamFormats.BlueskyJetstream, 1, new string('w', 3_000), "1"));

        Assert.Equal(new string('w', 3_000), post.Text);
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var text = new string('w', 2_999) + "\U0001F30A" + "tail";

        var cut = StorablePost.Truncate(text, 3_000);

        Assert.StartsWith(new string('w', 2_999) + "\n[…", cut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_news_item_title_and_a_cap_description_are_capped()
    {
        var big = new string('d', 200_000);
        var news = PostFormats.Default.Normalise(new RawItem(FeedFormats.NewsItem, NewsEnvelope(big), "1")).Post!;
        var alertXml = Alerts.DeepXmlTests.AlertWithDescription(big);
        var cap = PostFormats.Default.Normalise(new RawItem(FeedFormats.CapAlert, Encoding.UTF8.GetBytes(alertXml), "1")).Post!;

        Assert.Equal(("news", "cap"), (news.Platform, cap.Platform));
        Assert.Contains("[… truncated by CrisisDesk: ", news.Text, StringComparison.Ordinal);
        Assert.True(news.Text.Length < 50_100, $"{news.Text.Length}");
        Assert.Contains("[… truncated by CrisisDesk: ", cap.Text, StringComparison.Ordinal);
        Assert.True(cap.Text.Length < 50_100, $"{cap.Text.Length}");
    }

    private static byte[] NewsEnvelope(string summary)
    {
        var feed = FeedParser.Parse(Encoding.UTF8.GetBytes(
            $"<rss version=\"2.0\"><channel><title>Outlet</title><item><guid>g1</guid><title>{summary}</title><description>{summary}</description><pubDate>Sat, 21 Nov 2026 14:00:00 GMT</pubDate></item></channel></rss>"));
        return NewsItemEnvelope.From(feed, feed.Entries[0], "https://news.example/feed", DateTimeOffset.UtcNow, []).ToUtf8();
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void An_absurd_item_over_a_mebibyte_is_quarantined_whole_with_the_reason(string format, string platform)
    {
        _ = platform;
        var item = HostilePosts.Item(format, 1, new string('w', 5 * 1024 * 1024), "1");

        var result = PostFormats.Default.Normalise(item);

        Assert.Null(result.Post);
        Assert.StartsWith($"refused: the item is {item.Payload.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes, over the 1,048,576-byte limit for one post", result.Error, StringComparison.Ordinal);
    }
}
