namespace CrisisDesk.UnitTests.Feeds;

internal static class FeedFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Feeds", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Text(string name) => File.ReadAllText(PathOf(name));

    public const string Xxe = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{0}"> ]>
        <rss version="2.0"><channel><title>Evil</title><item><title>&xxe;</title><guid>x1</guid></item></channel></rss>
        """;

    public const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
        ]>
        <rss version="2.0"><channel><title>&lol9;</title></channel></rss>
        """;

    /// <summary>A small RSS feed with the given (guid, title) items, newest first as feeds list them.</summary>
    public static string Rss(params (string Guid, string Title)[] items) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Test Outlet</title><link>https://outlet.example/</link>"
        + string.Concat(items.Select((item, i) =>
            $"<item><title>{item.Title}</title><link>https://outlet.example/{item.Guid}</link><guid isPermaLink=\"false\">urn:test:{item.Guid}</guid>"
            + $"<pubDate>Sat, 21 Nov 2026 {10 + (items.Length - i) % 12:00}:00:00 GMT</pubDate><description>&lt;p&gt;Story {item.Guid}&lt;/p&gt;</description></item>"))
        + "</channel></rss>";
}
