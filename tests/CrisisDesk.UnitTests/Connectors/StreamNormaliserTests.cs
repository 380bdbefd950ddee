using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class StreamNormaliserTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void X_line_keeps_author_media_place_and_rule_tags()
    {
        var result = new XStreamNormaliser().Normalise(Utf8(XFilteredStreamSourceTests.Line("1234", tag: "bridge").TrimEnd()));

        var post = result.Post!;
        Assert.Equal(("x", "1234", "annsmith", "Ann Smith"), (post.Platform, post.ExternalId, post.AuthorHandle, post.AuthorName));
        Assert.Equal("https://x.com/annsmith/status/1234", post.Url);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 4, TimeSpan.Zero), post.CreatedAt);
        using var extra = JsonDocument.Parse(post.Extra!);
        Assert.Equal("bridge", extra.RootElement.GetProperty("rule_tags")[0].GetString());
        Assert.Equal("r1", extra.RootElement.GetProperty("rule_ids")[0].GetString());
        Assert.Equal("photo", extra.RootElement.GetProperty("media_types")[0].GetString());
        Assert.Equal("GB", extra.RootElement.GetProperty("place_country").GetString());
    }

    [Fact]
    public void X_long_post_uses_the_note_text()
    {
        var line = """{"data":{"id":"9","text":"short…","note_tweet":{"text":"the whole long text"},"created_at":"2026-11-21T10:00:00Z"}}""";
        var post = new XStreamNormaliser().Normalise(Utf8(line)).Post!;
        Assert.Equal("the whole long text", post.Text);
        Assert.Equal("https://x.com/i/web/status/9", post.Url);
        Assert.False(post.HasMedia);
    }

    [Fact]
    public void X_edit_becomes_a_version_of_the_first_post_of_its_edit_history_named_by_its_own_id()
    {
        var original = new XStreamNormaliser().Normalise(Utf8(
            """{"data":{"id":"100","text":"Bridge closed","created_at":"2026-11-21T10:00:00.000Z","edit_history_tweet_ids":["100"]}}""")).Post!;
        var edit = new XStreamNormaliser().Normalise(Utf8(
            """{"data":{"id":"105","text":"Bridge closed both ways","created_at":"2026-11-21T10:04:00.000Z","edit_history_tweet_ids":["100","105"]}}""")).Post!;

        Assert.Equal(PostMarkerKind.Post, StreamPostMarkers.Read(original).Kind);
        Assert.Equal("100", edit.ExternalId);
        var marker = StreamPostMarkers.Read(edit);
        Assert.Equal((PostMarkerKind.Edit, "105", new DateTimeOffset(2026, 11, 21, 10, 4, 0, TimeSpan.Zero)), (marker.Kind, marker.Version, marker.VersionAt));
        Assert.Equal("https://x.com/i/web/status/105", edit.Url);
        using var extra = JsonDocument.Parse(edit.Extra!);
        Assert.Equal(["100", "105"], extra.RootElement.GetProperty("edit_history_ids").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void X_post_whose_history_starts_with_itself_is_an_ordinary_post()
    {
        // As a full-archive or recent search may return the first post of a chain with the whole chain listed.
        var first = new XStreamNormaliser().Normalise(Utf8(
            """{"data":{"id":"100","text":"Bridge closed","created_at":"2026-11-21T10:00:00.000Z","edit_history_tweet_ids":["100","105"]}}""")).Post!;

        Assert.Equal("100", first.ExternalId);
        Assert.Equal(PostMarkerKind.Post, StreamPostMarkers.Read(first).Kind);
    }

    [Theory]
    [InlineData("""{"errors":[{"title":"operational-disconnect"}]}""", "stream error message")]
    [InlineData("""{"data":{"text":"no id","created_at":"2026-11-21T10:00:00Z"}}""", "no id")]
    [InlineData("""{"data":{"id":"1","text":"x"}}""", "created_at")]
    [InlineData("""[1,2]""", "no \"data\"")]
    [InlineData("", "empty frame")]
    public void X_refuses_what_is_not_a_post_with_the_reason(string line, string reason)
    {
        var result = new XStreamNormaliser().Normalise(Utf8(line));
        Assert.True(result.IsMalformed);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_frames_are_refused_with_the_limit()
    {
        var frame = new byte[StreamFormats.MaxFrameBytes + 1];
        Assert.Contains("exceeds the 1048576-byte limit", new XStreamNormaliser().Normalise(frame).Error, StringComparison.Ordinal);
        Assert.Contains("exceeds the 1048576-byte limit", new BlueskyJetstreamNormaliser().Normalise(frame).Error, StringComparison.Ordinal);
        Assert.Contains("exceeds the 1048576-byte limit", new MastodonStatusNormaliser().Normalise(frame).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Mastodon_update_becomes_plain_text_and_an_edit_keeps_the_id_with_a_version()
    {
        var normaliser = new MastodonStatusNormaliser();
        var original = normaliser.Normalise(Utf8("event: update\ndata: " + MastodonStreamingSourceTests.Status(1))).Post!;
        var edited = normaliser.Normalise(Utf8("event: status.update\r\ndata: " +
            MastodonStreamingSourceTests.Status(1, "2026-11-21T11:00:00Z", "Road reopened"))).Post!;

        Assert.Equal("Road closed by the #flood & bridge", original.Text);
        Assert.False(StreamPostMarkers.IsEdit(original));
        Assert.Null(StreamPostMarkers.VersionOf(original));
        Assert.Equal(original.ExternalId, edited.ExternalId);
        Assert.True(StreamPostMarkers.IsEdit(edited));
        Assert.Equal("2026-11-21T11:00:00.0000000+00:00", StreamPostMarkers.VersionOf(edited));
        Assert.Equal("https://social.example/@ann/" + MastodonStreamingSourceTests.Id(1), original.Url);
    }

    [Fact]
    public void Mastodon_delete_is_a_marker_timed_by_the_snowflake_id()
    {
        // 109371974290000000 >> 16 is 1668616800000 ms: 2022-11-16T16:40:00Z.
        var marker = new MastodonStatusNormaliser().Normalise(Utf8("event: delete\ndata: 109371974290000000")).Post!;
        Assert.True(StreamPostMarkers.IsDeletion(marker));
        Assert.Equal("109371974290000000", marker.ExternalId);
        Assert.Equal(string.Empty, marker.Text);
        Assert.Equal(2022, marker.CreatedAt.Year);
        Assert.Equal(DateTimeOffset.UnixEpoch, new MastodonStatusNormaliser().Normalise(Utf8("event: delete\ndata: abc")).Post!.CreatedAt);
    }

    [Theory]
    [InlineData("event: notification\ndata: {\"id\":\"1\"}")]
    [InlineData("event: filters_changed\ndata: undefined")]
    public void Mastodon_other_events_carry_no_post(string block)
    {
        var result = new MastodonStatusNormaliser().Normalise(Utf8(block));
        Assert.Null(result.Post);
        Assert.False(result.IsMalformed);
    }

    [Theory]
    [InlineData("event: update\n", "not a server-sent event")]
    [InlineData("event: delete\ndata: 1 2; drop", "valid status id")]
    [InlineData("event: update\ndata: {\"id\":\"1\",\"created_at\":\"2026-11-21T10:00:00Z\"}", "no content")]
    public void Mastodon_refuses_bad_events_with_the_reason(string block, string reason) =>
        Assert.Contains(reason, new MastodonStatusNormaliser().Normalise(Utf8(block)).Error, StringComparison.Ordinal);

    [Fact]
    public void Mastodon_html_is_read_as_text_never_markup()
    {
        var text = MastodonStatusNormaliser.HtmlToText("<p>a &lt;script&gt; <b>b</b><br/>c</p><p>d &amp; 3 &lt; 4</p><p>5 < 6");
        Assert.Equal("a <script> b\nc\n\nd & 3 < 4\n\n5 < 6", text);
    }

    [Fact]
    public void Bluesky_create_update_and_delete()
    {
        var normaliser = new BlueskyJetstreamNormaliser();
        var created = normaliser.Normalise(Utf8(JetstreamSourceTests.Commit(1, "create", "3kabc", "Flood here"))).Post!;
        var updated = normaliser.Normalise(Utf8(JetstreamSourceTests.Commit(2, "update", "3kabc", "Flood gone"))).Post!;
        var deleted = normaliser.Normalise(Utf8(JetstreamSourceTests.Commit(3, "delete", "3kabc"))).Post!;

        Assert.Equal("at://did:plc:ann/app.bsky.feed.post/3kabc", created.ExternalId);
        Assert.Equal("https://bsky.app/profile/did:plc:ann/post/3kabc", created.Url);
        Assert.Equal("en", created.Language);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), created.CreatedAt);
        Assert.Equal("bafy1", StreamPostMarkers.VersionOf(created));
        Assert.False(StreamPostMarkers.IsEdit(created));
        Assert.Equal(created.ExternalId, updated.ExternalId);
        Assert.True(StreamPostMarkers.IsEdit(updated));
        Assert.Equal("bafy2", StreamPostMarkers.VersionOf(updated));
        Assert.True(StreamPostMarkers.IsDeletion(deleted));
        Assert.Equal(created.ExternalId, deleted.ExternalId);
    }

    [Theory]
    [InlineData("""{"did":"did:plc:a","time_us":1,"kind":"identity","identity":{}}""")]
    [InlineData("""{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.like","rkey":"x"}}""")]
    public void Bluesky_other_events_carry_no_post(string frame)
    {
        var result = new BlueskyJetstreamNormaliser().Normalise(Utf8(frame));
        Assert.Null(result.Post);
        Assert.False(result.IsMalformed);
    }

    [Theory]
    [InlineData("""{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"x"}}""", "no record text")]
    [InlineData("""{"did":"did:plc:a","kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"x"}}""", "without rkey or time_us")]
    [InlineData("""{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"merge","collection":"app.bsky.feed.post","rkey":"x"}}""", "unknown commit operation 'merge'")]
    public void Bluesky_refuses_bad_commits_with_the_reason(string frame, string reason) =>
        Assert.Contains(reason, new BlueskyJetstreamNormaliser().Normalise(Utf8(frame)).Error, StringComparison.Ordinal);
}
