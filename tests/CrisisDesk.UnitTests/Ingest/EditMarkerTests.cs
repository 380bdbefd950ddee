using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;

namespace CrisisDesk.UnitTests.Ingest;

/// <summary>How the pipeline tells posts, edits and deletions apart, and what its in-memory dedupe compares.</summary>
public sealed class EditMarkerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static Post Post(string? extra = null, string text = "Bridge closed", string id = "109") => new()
    {
        Platform = "mastodon",
        ExternalId = id,
        CreatedAt = T0,
        Text = text,
        Extra = extra,
    };

    [Fact]
    public void An_ordinary_post_is_keyed_by_platform_and_external_id_alone()
    {
        Assert.Equal(new DedupeKey("mastodon", "109", null), DedupeKey.Of(Post()));
        Assert.Equal(DedupeKey.Of(Post()), DedupeKey.Of(Post(extra: """{"tags":["flood"]}""", text: "other text")));
        Assert.Equal(PostMarkerKind.Post, StreamPostMarkers.Read(Post(extra: """{"edited":false,"deleted":false}""")).Kind);
    }

    [Fact]
    public void An_edit_is_keyed_by_its_version_so_it_is_not_a_repeat_of_the_post_but_a_redelivery_of_it_is()
    {
        var original = DedupeKey.Of(Post());
        var edit2 = DedupeKey.Of(Post("""{"edited":true,"version":"2026-11-21T12:02:00.0000000+00:00","edited_at":"2026-11-21T12:02:00.0000000+00:00"}""", "Bridge reopened"));
        var edit2Again = DedupeKey.Of(Post("""{"edited":true,"version":"2026-11-21T12:02:00.0000000+00:00","edited_at":"2026-11-21T12:02:00.0000000+00:00"}""", "Bridge reopened"));
        var edit3 = DedupeKey.Of(Post("""{"edited":true,"version":"2026-11-21T12:03:00.0000000+00:00"}""", "Bridge reopened, one lane"));

        Assert.NotEqual(original, edit2);
        Assert.Equal(edit2, edit2Again);
        Assert.NotEqual(edit2, edit3);
        Assert.Equal(new DedupeKey("mastodon", "109", "edit:2026-11-21T12:02:00.0000000+00:00"), edit2);
    }

    [Fact]
    public void A_deletion_is_keyed_apart_from_the_post_and_its_edits()
    {
        var deletion = DedupeKey.Of(StreamPostMarkers.Deletion("mastodon", "109", T0));

        Assert.Equal(new DedupeKey("mastodon", "109", DedupeKey.DeletedQualifier), deletion);
        Assert.NotEqual(DedupeKey.Of(Post()), deletion);
        Assert.Equal(deletion, DedupeKey.Of(StreamPostMarkers.Deletion("mastodon", "109", T0.AddHours(1))));
        Assert.NotEqual(deletion, DedupeKey.Of(StreamPostMarkers.Deletion("bluesky", "109", T0)));
    }

    [Fact]
    public void An_edit_without_a_version_is_named_by_its_text()
    {
        var a = StreamPostMarkers.Read(Post("""{"edited":true}""", "Bridge reopened"));
        var again = StreamPostMarkers.Read(Post("""{"edited":true}""", "Bridge reopened"));
        var other = StreamPostMarkers.Read(Post("""{"edited":true}""", "Bridge closed again"));

        Assert.Equal(PostMarkerKind.Edit, a.Kind);
        Assert.StartsWith("text:", a.Version, StringComparison.Ordinal);
        Assert.Equal(a.Version, again.Version);
        Assert.NotEqual(a.Version, other.Version);
    }

    [Fact]
    public void The_version_time_comes_from_mastodon_edited_at_or_jetstream_time_us()
    {
        var mastodon = StreamPostMarkers.Read(Post("""{"edited":true,"version":"v","edited_at":"2026-11-21T12:05:00.0000000+00:00"}"""));
        var bluesky = StreamPostMarkers.Read(Post("""{"operation":"update","edited":true,"version":"bafy2","time_us":1763700000000000}"""));
        var none = StreamPostMarkers.Read(Post("""{"edited":true,"version":"v"}"""));

        Assert.Equal(T0.AddMinutes(5), mastodon.VersionAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_763_700_000_000), bluesky.VersionAt);
        Assert.Equal("bafy2", bluesky.Version);
        Assert.Null(none.VersionAt);
    }

    [Theory]
    [InlineData("not json at all \"edited\"")]
    [InlineData("[\"edited\", \"deleted\"]")]
    [InlineData("{\"note\":\"edited\"}")]
    public void Extra_that_only_mentions_a_marker_is_an_ordinary_post(string extra)
    {
        Assert.Equal(PostMarker.Plain, StreamPostMarkers.Read(Post(extra)));
    }

    [Fact]
    public void The_normalisers_markers_are_read_back()
    {
        var mastodonEdit = new MastodonStatusNormaliser().Normalise("""
            event: status.update
            data: {"id":"109","created_at":"2026-11-21T12:00:00.000Z","edited_at":"2026-11-21T12:04:00.000Z","content":"<p>Bridge reopened</p>","account":{"acct":"ann"}}
            """u8).Post!;
        var blueskyDelete = new BlueskyJetstreamNormaliser().Normalise(
            """{"did":"did:plc:ann","time_us":1763700000000000,"kind":"commit","commit":{"rev":"3l1","operation":"delete","collection":"app.bsky.feed.post","rkey":"p1"}}"""u8).Post!;

        Assert.Equal(new PostMarker(PostMarkerKind.Edit, "2026-11-21T12:04:00.0000000+00:00", T0.AddMinutes(4)), StreamPostMarkers.Read(mastodonEdit));
        Assert.Equal(PostMarkerKind.Deletion, StreamPostMarkers.Read(blueskyDelete).Kind);
    }
}
