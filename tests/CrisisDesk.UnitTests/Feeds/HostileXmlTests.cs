using System.Text;
using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Feeds;

public class HostileXmlTests
{
    [Fact]
    public void External_entity_is_refused_and_never_fetched()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var xml = string.Format(System.Globalization.CultureInfo.InvariantCulture, FeedFixtures.Xxe, $"http://127.0.0.1:{port}/secret");

        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(xml)));

        Assert.Contains("DTD", ex.Message);
        Assert.False(listener.Pending(), "the parser connected to the external entity's address");
    }

    [Fact]
    public void Entity_expansion_bomb_is_refused_at_the_dtd()
    {
        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(Encoding.UTF8.GetBytes(FeedFixtures.BillionLaughs)));
        Assert.StartsWith("refused: the document declares a DTD", ex.Message);
    }

    [Fact]
    public void Dtd_in_a_cap_document_is_refused()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE alert [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>&e;</identifier></alert>";
        var result = new CapAlertNormaliser().Normalise(Encoding.UTF8.GetBytes(xml));
        Assert.Contains("DTD", result.Error);
    }

    [Fact]
    public void Invalid_utf8_is_a_clear_encoding_error()
    {
        byte[] xml = [.. "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Caf"u8, 0xE9, .. " bad</title></channel></rss>"u8];

        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(xml));

        Assert.StartsWith("invalid bytes for the declared encoding", ex.Message);
    }

    [Fact]
    public void A_declared_encoding_the_bytes_do_not_have_is_a_clear_encoding_error()
    {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>"u8.ToArray();

        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(xml));

        Assert.StartsWith("invalid bytes for the declared encoding", ex.Message);
    }

    [Fact]
    public void Unknown_declared_encoding_is_a_clear_error()
    {
        var xml = "<?xml version=\"1.0\" encoding=\"x-made-up-9\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>"u8.ToArray();

        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(xml));

        Assert.Contains("encoding", ex.Message);
    }

    [Fact]
    public void Documents_over_the_character_limit_are_refused()
    {
        var xml = Encoding.UTF8.GetBytes(FeedFixtures.Rss(("a", new string('x', 5000))));

        var ex = Assert.Throws<FeedFormatException>(() => FeedParser.Parse(xml, maxCharacters: 1000));

        Assert.Contains("larger than the size limit", ex.Message);
    }
}
