using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class FeedParserTests
{
    [Fact]
    public void Bbc_rss_items_have_ids_titles_links_dates_and_media()
    {
        var feed = FeedParser.Parse(FeedFixtures.Bytes("bbc-news.rss.xml"));

        Assert.Equal(FeedKind.Rss, feed.Kind);
        Assert.Equal("BBC News", feed.Title);
        Assert.Equal("en-gb", feed.Language);
        Assert.Equal(4, feed.Entries.Count);
        var first = feed.Entries[0];
        Assert.Equal("https://www.bbc.co.uk/news/articles/c9w1flood01o#0", first.Id);
        Assert.Equal("Severn Valley flood warnings as river keeps rising", first.Title);
        Assert.Equal("https://www.bbc.co.uk/news/articles/c9w1flood01o", first.Link);
        Assert.Equal("Sat, 21 Nov 2026 14:47:03 GMT", first.Published);
        Assert.True(first.HasMedia);
        Assert.False(feed.Entries[2].HasMedia);
    }

    [Fact]
    public void Wordpress_rss_reads_creator_categories_and_prefers_description_over_full_content()
    {
        var feed = FeedParser.Parse(FeedFixtures.Bytes("wordpress.rss.xml"));

        Assert.Equal("Worcester Evening Courier", feed.Title);
        var item = feed.Entries[0];
        Assert.Equal("Sandbags run out in St John\u2019s as Severn floods Worcester", item.Title);
        Assert.Equal("Priya Raman", item.Author);
        Assert.Equal(["News", "Flooding"], item.Categories);
        Assert.Equal("https://worcestercourier.example/?p=48211", item.Id);
        Assert.StartsWith("<p>The city council says a fresh delivery", item.Summary);
        Assert.True(item.SummaryIsHtml);
    }

    [Fact]
    public void Atom_reads_html_and_xhtml_text_authors_and_relative_links()
    {
        var feed = FeedParser.Parse(FeedFixtures.Bytes("news-site.atom.xml"));

        Assert.Equal(FeedKind.Atom, feed.Kind);
        Assert.Equal("Midlands Ledger — Top Stories", feed.Title);
        Assert.Equal("en-US", feed.Language);
        Assert.Equal(3, feed.Entries.Count);

        var first = feed.Entries[0];
        Assert.Equal("Evacuation centre opens at Tewkesbury & District leisure centre", first.Title);
        Assert.Equal("Alex Heath", first.Author);
        Assert.Equal("2026-11-21T09:30:00-05:00", first.Published);
        Assert.True(first.HasMedia);
        Assert.Contains("<a href=", first.Summary);
        Assert.True(first.SummaryIsHtml);

        var second = feed.Entries[1];
        Assert.Equal("/2026/11/21/road-closures", second.Link);
        Assert.False(second.SummaryIsHtml);
        Assert.Contains("National Highways has closed the", second.Summary);
        Assert.Contains("A38", second.Summary);
    }

    [Fact]
    public void Rss_1_0_rdf_items_are_read_with_rdf_about_as_id()
    {
        const string rdf = """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <channel rdf:about="https://slashdot.example/"><title>Slash Example</title><link>https://slashdot.example/</link></channel>
              <item rdf:about="https://slashdot.example/story/1"><title>Levee holds</title><link>https://slashdot.example/story/1</link><dc:date>2026-11-21T10:00:00+00:00</dc:date></item>
            </rdf:RDF>
            """;

        var feed = FeedParser.Parse(System.Text.Encoding.UTF8.GetBytes(rdf));

        Assert.Equal("Slash Example", feed.Title);
        var item = Assert.Single(feed.Entries);
        Assert.Equal("https://slashdot.example/story/1", item.Id);
        Assert.Equal("2026-11-21T10:00:00+00:00", item.Published);
    }

    [Fact]
    public void A_document_that_is_not_a_feed_is_refused_with_its_root_name()
    {
        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse("<html><body>Not found</body></html>"u8));
        Assert.Contains("<html>", ex.Message);
    }

    [Fact]
    public void Malformed_xml_is_refused_with_line_and_position()
    {
        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse("<rss version=\"2.0\"><channel><title>Broken</channel></rss>"u8));
        Assert.StartsWith("malformed XML", ex.Message);
        Assert.Contains("Line 1", ex.Message);
    }

    [Fact]
    public void Windows_1252_declared_feeds_decode()
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes("<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>Caf\u00e9 Gazette</title></channel></rss>");

        Assert.Equal("Caf\u00e9 Gazette", FeedParser.Parse(bytes).Title);
    }
}
