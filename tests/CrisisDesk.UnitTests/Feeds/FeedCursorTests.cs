using CrisisDesk.Ingest.Connectors.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class FeedCursorTests
{
    [Fact]
    public void Seen_ids_are_bounded_keeping_the_newest_and_the_cursor_stays_compact()
    {
        var cursor = new FeedCursor { ETag = "\"v9\"" }.WithSeen(Enumerable.Range(0, 800).Select(i => $"https://www.example.org/news/articles/a-rather-long-story-address-{i}"), max: 500);

        Assert.Equal(500, cursor.Seen.Count);
        Assert.False(cursor.HasSeen("https://www.example.org/news/articles/a-rather-long-story-address-299"));
        Assert.True(cursor.HasSeen("https://www.example.org/news/articles/a-rather-long-story-address-300"));
        Assert.True(cursor.HasSeen("https://www.example.org/news/articles/a-rather-long-story-address-799"));
        var json = cursor.Serialize();
        Assert.True(json.Length < 500 * 20, $"cursor is {json.Length} characters");

        var restored = FeedCursor.Parse(json);
        Assert.Equal("\"v9\"", restored.ETag);
        Assert.True(restored.HasSeen("https://www.example.org/news/articles/a-rather-long-story-address-799"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{not json")]
    public void A_missing_or_unreadable_cursor_starts_from_the_beginning(string? cursor)
    {
        var parsed = FeedCursor.Parse(cursor);
        Assert.Null(parsed.ETag);
        Assert.Empty(parsed.Seen);
    }
}
