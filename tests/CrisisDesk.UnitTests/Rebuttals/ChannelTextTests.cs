using CrisisDesk.Core.Rebuttals;

namespace CrisisDesk.UnitTests.Rebuttals;

public sealed class ChannelTextTests
{
    [Theory]
    [InlineData("Hello", 5)]
    [InlineData("Road closed. See https://example.gov/a/very/long/path/that/is/much/longer/than/twenty-three for detours", 17 + 23 + 12)]
    [InlineData("洪水警報", 8)] // CJK weighs 2 each
    [InlineData("café", 4)] // NFC: é is one code point
    [InlineData("cafe\u0301", 4)] // decomposed é is normalised first
    [InlineData("Stay safe 👍🏽", 12)] // one emoji sequence (with skin tone) weighs 2
    [InlineData("👨‍👩‍👧", 2)] // a ZWJ family is one emoji
    [InlineData("“quoted” — dash", 15)] // curly quotes and em dash are in the light ranges
    public void X_counts_weighted_characters(string text, int expected) =>
        Assert.Equal(expected, ChannelText.Count(TextChannel.X, text).Used);

    [Fact]
    public void X_refuses_281_latin_but_accepts_140_cjk()
    {
        Assert.False(ChannelText.Count(TextChannel.X, new string('a', 281)).Fits);
        Assert.True(ChannelText.Count(TextChannel.X, new string('a', 280)).Fits);
        Assert.True(ChannelText.Count(TextChannel.X, new string('水', 140)).Fits);
        Assert.False(ChannelText.Count(TextChannel.X, new string('水', 141)).Fits);
    }

    [Theory]
    [InlineData("Hello @alice@mastodon.social", 12)]
    [InlineData("Info: https://example.gov/flood-updates-for-the-river-wey-area", 6 + 23)]
    [InlineData("洪水", 2)] // Mastodon does not weigh CJK
    public void Mastodon_counts_links_as_23_and_mentions_without_domain(string text, int expected) =>
        Assert.Equal(expected, ChannelText.Count(TextChannel.Mastodon, text).Used);

    [Theory]
    [InlineData("Hello", 5)]
    [InlineData("👨‍👩‍👧 family", 8)]
    [InlineData("🇬🇧", 1)]
    [InlineData("https://example.gov/x", 21)] // Bluesky counts the link text as written
    public void Bluesky_counts_graphemes(string text, int expected) =>
        Assert.Equal(expected, ChannelText.Count(TextChannel.Bluesky, text).Used);

    [Fact]
    public void Sms_gsm7_fits_160_in_one_segment_then_153_per_segment()
    {
        var one = ChannelText.Count(TextChannel.Sms, new string('a', 160));
        var two = ChannelText.Count(TextChannel.Sms, new string('a', 161));
        var three = ChannelText.Count(TextChannel.Sms, new string('a', 307));

        Assert.Equal(("GSM-7", 1), (one.Encoding, one.Segments));
        Assert.Equal(2, two.Segments);
        Assert.Equal(3, three.Segments);
    }

    [Fact]
    public void Sms_extension_characters_count_two_septets_and_are_not_split()
    {
        var euro = ChannelText.Count(TextChannel.Sms, "Fine €50 [now]");
        Assert.Equal(("GSM-7", 17), (euro.Encoding, euro.Used));

        // 152 plain septets then a two-septet '€': it does not fit in the first 153, so it starts segment two.
        var boundary = ChannelText.Count(TextChannel.Sms, new string('a', 152) + "€" + new string('a', 10));
        Assert.Equal(2, boundary.Segments);
        Assert.Equal(164, boundary.Used);
    }

    [Fact]
    public void Sms_falls_back_to_ucs2_with_70_then_67_per_segment()
    {
        var one = ChannelText.Count(TextChannel.Sms, new string('ç', 69) + "ł");
        var two = ChannelText.Count(TextChannel.Sms, new string('ł', 71));

        Assert.Equal(("UCS-2", 1, 70), (one.Encoding, one.Segments, one.Used));
        Assert.Equal(("UCS-2", 2), (two.Encoding, two.Segments));
    }

    [Fact]
    public void Sms_beyond_three_segments_does_not_fit()
    {
        Assert.True(ChannelText.Count(TextChannel.Sms, new string('a', 459)).Fits);
        Assert.False(ChannelText.Count(TextChannel.Sms, new string('a', 460)).Fits);
    }

    [Fact]
    public void Wireless_alert_texts_have_90_and_360_character_limits()
    {
        Assert.True(ChannelText.Count(TextChannel.WeaShort, new string('a', 90)).Fits);
        Assert.False(ChannelText.Count(TextChannel.WeaShort, new string('a', 91)).Fits);
        Assert.True(ChannelText.Count(TextChannel.WeaLong, new string('a', 360)).Fits);
        Assert.False(ChannelText.Count(TextChannel.WeaLong, new string('a', 361)).Fits);
    }
}
