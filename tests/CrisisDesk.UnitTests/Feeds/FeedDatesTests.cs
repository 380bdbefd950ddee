using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class FeedDatesTests
{
    [Theory]
    [InlineData("Sat, 21 Nov 2026 14:47:03 GMT", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 2026 14:47:03 +0000", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 2026 09:47:03 EST", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 2026 06:47:03 PST", "2026-11-21T14:47:03+00:00")]
    [InlineData("21 Nov 2026 15:47:03 +0100", "2026-11-21T14:47:03+00:00")]
    [InlineData("Saturday, 21 November 2026 15:47:03 +01:00", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 26 14:47:03 GMT", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 2026 14:47 GMT", "2026-11-21T14:47:00+00:00")]
    [InlineData("Mon, 21 Nov 2026 14:47:03 GMT", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat,21 Nov 2026 14:47:03 Z", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 1 Sept 2026 4:07:00 UT", "2026-09-01T04:07:00+00:00")]
    [InlineData("Sat, 21 Nov 2026 14:47:03", "2026-11-21T14:47:03+00:00")]
    [InlineData("Sat, 21 Nov 2026 14:47:03 XYZ", "2026-11-21T14:47:03+00:00")]
    [InlineData("2026-11-21T14:47:03Z", "2026-11-21T14:47:03+00:00")]
    [InlineData("2026-11-21t14:47:03z", "2026-11-21T14:47:03+00:00")]
    [InlineData("2026-11-21T09:47:03.250-05:00", "2026-11-21T14:47:03.25+00:00")]
    [InlineData("2026-11-21 15:47:03+0100", "2026-11-21T14:47:03+00:00")]
    [InlineData("2026-11-21T14:47:03", "2026-11-21T14:47:03+00:00")]
    [InlineData("2026-11-21", "2026-11-21T00:00:00+00:00")]
    [InlineData("  2026-11-21T14:47Z ", "2026-11-21T14:47:00+00:00")]
    public void Real_world_dates_parse_to_the_same_instant(string text, string expected)
    {
        Assert.True(FeedDates.TryParse(text, out var parsed));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("Sat, 31 Feb 2026 14:47:03 GMT")]
    [InlineData("Sat, 21 Nov 2026 25:47:03 GMT")]
    [InlineData("2026-13-21T14:47:03Z")]
    public void Nonsense_is_not_a_date(string? text) => Assert.False(FeedDates.TryParse(text, out _));
}
