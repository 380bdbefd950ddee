using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class NormaliserTests
{
    private static readonly DateTimeOffset FetchedAt = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);

    private static CrisisDesk.Core.Posts.Post NewsPost(string fixture, int index, string feedUrl = "https://feeds.example/news.xml")
    {
        var feed = FeedParser.Parse(FeedFixtures.Bytes(fixture));
        var payload = NewsItemEnvelope.From(feed, feed.Entries[index], feedUrl, FetchedAt, ["flood"]).ToUtf8();
        var result = new NewsItemNormaliser().Normalise(payload);
        Assert.False(result.IsMalformed, result.Error);
        return result.Post!;
    }

    [Fact]
    public void Bbc_item_becomes_a_news_post_with_outlet_and_feed_in_extra()
    {
        var post = NewsPost("bbc-news.rss.xml", 0, "https://feeds.bbci.co.uk/news/rss.xml");

        Assert.Equal("news", post.Platform);
        Assert.Equal("https://www.bbc.co.uk/news/articles/c9w1flood01o#0", post.ExternalId);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 14, 47, 3, TimeSpan.Zero), post.CreatedAt);
        Assert.Equal("Severn Valley flood warnings as river keeps rising\n\nResidents in Bewdley are told to prepare to leave as the River Severn is expected to peak overnight.", post.Text);
        Assert.Equal("https://www.bbc.co.uk/news/articles/c9w1flood01o", post.Url);
        Assert.Equal("BBC News", post.AuthorName);
        Assert.Equal("feeds.bbci.co.uk", post.AuthorHandle);
        Assert.Equal("en-gb", post.Language);
        Assert.True(post.HasMedia);
        using var extra = JsonDocument.Parse(post.Extra!);
        Assert.Equal("BBC News", extra.RootElement.GetProperty("outlet").GetString());
        Assert.Equal("https://feeds.bbci.co.uk/news/rss.xml", extra.RootElement.GetProperty("feed").GetString());
        Assert.Equal("flood", extra.RootElement.GetProperty("matched")[0].GetString());
    }

    [Fact]
    public void Wordpress_html_summary_is_plain_text_without_markup()
    {
        var post = NewsPost("wordpress.rss.xml", 0);

        Assert.Equal("Priya Raman", post.AuthorName);
        Assert.StartsWith("Sandbags run out in St John\u2019s as Severn floods Worcester\n\nThe city council says a fresh delivery of sandbags is on its way after the depot at St John\u2019s ran out this afternoon & queues formed on Bromyard Road.", post.Text);
        Assert.DoesNotContain("<", post.Text);
        Assert.Equal("https://worcestercourier.example/?p=48211", post.ExternalId);
    }

    [Fact]
    public void Atom_entries_resolve_relative_links_and_fall_back_to_updated()
    {
        var road = NewsPost("news-site.atom.xml", 1, "https://www.midlandsledger.example/rss/index.xml");
        Assert.Equal("https://www.midlandsledger.example/2026/11/21/road-closures", road.Url);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 8, 2, 0, TimeSpan.Zero), road.CreatedAt);
        Assert.Equal("Jo Marsh", road.AuthorName);
        Assert.Equal("tag:midlandsledger.example,2026:/2026/11/21/road-closures", road.ExternalId);
        Assert.Contains("closed the A38. Diversions are signed.", road.Text);

        var opinion = NewsPost("news-site.atom.xml", 2);
        Assert.Equal("Opinion: what the floods tell us about planning\n\nPlanners ignored the flood maps <again>.", opinion.Text);
        Assert.Equal("Midlands Ledger — Top Stories", opinion.AuthorName);
    }

    [Fact]
    public void A_bare_guid_is_qualified_by_its_feed_so_two_outlets_do_not_collide()
    {
        Assert.Equal("https://a.example/rss#123", NewsItemNormaliser.ExternalId("123", "https://a.example/rss"));
        Assert.NotEqual(NewsItemNormaliser.ExternalId("123", "https://a.example/rss"), NewsItemNormaliser.ExternalId("123", "https://b.example/rss"));
        Assert.Equal("urn:uuid:1", NewsItemNormaliser.ExternalId("urn:uuid:1", "https://a.example/rss"));
    }

    [Fact]
    public void An_item_without_a_date_takes_the_fetch_time()
    {
        var envelope = new NewsItemEnvelope { Feed = "https://x.example/rss", Id = "urn:1", Title = "Undated", FetchedAt = FetchedAt };
        Assert.Equal(FetchedAt, new NewsItemNormaliser().Normalise(envelope.ToUtf8()).Post!.CreatedAt);
    }

    [Theory]
    [InlineData("{\"feed\":\"https://x.example/rss\",\"title\":\"no id\"}", "no guid")]
    [InlineData("{\"feed\":\"https://x.example/rss\",\"id\":\"urn:1\"}", "neither title nor summary")]
    [InlineData("not json", "not a valid envelope")]
    [InlineData("{\"feed\":\"https://x.example/rss\",\"id\":\"urn:1\",\"title\":\"\\u", "not a valid envelope")]
    public void Broken_news_items_are_malformed_with_a_reason(string payload, string reason)
    {
        var result = new NewsItemNormaliser().Normalise(Encoding.UTF8.GetBytes(payload));
        Assert.True(result.IsMalformed);
        Assert.Contains(reason, result.Error);
    }

    [Fact]
    public void Invalid_utf8_news_payload_is_malformed_not_a_crash()
    {
        byte[] payload = [.. "{\"feed\":\"https://x.example/rss\",\"id\":\"urn:1\",\"title\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        var result = new NewsItemNormaliser().Normalise(payload);
        Assert.True(result.IsMalformed);
    }

    [Fact]
    public void Cap_1_2_alert_becomes_an_official_alert_post()
    {
        var result = new CapAlertNormaliser().Normalise(FeedFixtures.Bytes("cap/australia.cap"));

        var post = result.Post!;
        Assert.Equal("cap", post.Platform);
        Assert.Equal("webmaster@rfs.nsw.gov.au,tag:www.rfs.nsw.gov.au2011-10-06:40184", post.ExternalId);
        Assert.Equal(new DateTimeOffset(2011, 10, 5, 23, 4, 0, TimeSpan.FromHours(10)), post.CreatedAt);
        Assert.Equal("NSW Rural Fire Service", post.AuthorName);
        Assert.StartsWith("Yerong Creek Structure Fire\n\nALERT LEVEL: Not Applicable\nLOCATION: 12 Cox Street, Yerong Creek", post.Text);
        Assert.Equal("http://www.rfs.nsw.gov.au/dsp_content.cfm?cat_id=683", post.Url);
        Assert.Equal("en-AU", post.Language);
        using var extra = JsonDocument.Parse(post.Extra!);
        var root = extra.RootElement;
        Assert.Equal("official-alert", root.GetProperty("kind").GetString());
        Assert.Equal("Yerong Creek Structure Fire", root.GetProperty("headline").GetString());
        Assert.Equal("Minor", root.GetProperty("severity").GetString());
        Assert.Equal("Expected", root.GetProperty("urgency").GetString());
        Assert.Equal("Observed", root.GetProperty("certainty").GetString());
        Assert.Equal("Yerong Creek Structure Fire", root.GetProperty("areaDesc").GetString());
        Assert.Equal("2011-10-06T23:04:00.0000000+10:00", root.GetProperty("expires").GetString());
        Assert.Equal("webmaster@rfs.nsw.gov.au", root.GetProperty("sender").GetString());
        Assert.Equal("tag:www.rfs.nsw.gov.au2011-10-06:40184", root.GetProperty("identifier").GetString());
    }

    [Theory]
    [InlineData("cap/weather.cap", "Flash Flood Watch issued August 30", "Severe", "Central and Southern Lewis and Clark; Lewis and Clark")]
    [InlineData("cap/earthquake.cap", "EQ 6.3 Neiafu, Tonga - PRELIMINARY REPORT", "Unknown", "185 miles (298 km) NNE of Neiafu, Tonga")]
    public void Cap_1_1_alerts_are_accepted(string fixture, string headline, string severity, string area)
    {
        var post = new CapAlertNormaliser().Normalise(FeedFixtures.Bytes(fixture)).Post!;
        using var extra = JsonDocument.Parse(post.Extra!);
        Assert.StartsWith(headline, extra.RootElement.GetProperty("headline").GetString());
        Assert.StartsWith(headline, post.Text);
        Assert.Equal(severity, extra.RootElement.GetProperty("severity").GetString());
        Assert.StartsWith(area, extra.RootElement.GetProperty("areaDesc").GetString());
    }

    [Theory]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><sender>a</sender><sent>2026-11-21T10:00:00Z</sent></alert>", "lacks required identifier")]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.0\"><identifier>1</identifier></alert>", "not a CAP 1.1/1.2 alert")]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>1</identifier><sender>a</sender><sent>soon</sent></alert>", "unreadable sent time")]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>1</identifier>", "malformed XML")]
    public void Broken_cap_alerts_are_malformed_with_a_reason(string xml, string reason)
    {
        var result = new CapAlertNormaliser().Normalise(Encoding.UTF8.GetBytes(xml));
        Assert.True(result.IsMalformed);
        Assert.Contains(reason, result.Error);
    }

    [Fact]
    public void A_cap_cancel_without_info_still_shows_what_it_is()
    {
        const string xml = "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>2</identifier><sender>ops@agency.example</sender><sent>2026-11-21T10:00:00Z</sent><status>Actual</status><msgType>Cancel</msgType><note>Flood warning withdrawn</note></alert>";
        var post = new CapAlertNormaliser().Normalise(Encoding.UTF8.GetBytes(xml)).Post!;
        Assert.Equal("Cancel from ops@agency.example\n\nFlood warning withdrawn", post.Text);
    }

    [Fact]
    public void A_rejection_is_always_quarantined_with_its_reason()
    {
        var payload = FeedRejection.Of("https://x.example/rss", "refused: the document declares a DTD", "<!DOCTYPE x>"u8).ToUtf8();
        var result = new FeedRejectionNormaliser().Normalise(payload);
        Assert.Equal("refused: the document declares a DTD (https://x.example/rss)", result.Error);
        Assert.Contains(FeedNormalisers.All, n => n.Format == FeedFormats.Rejected);
    }
}
