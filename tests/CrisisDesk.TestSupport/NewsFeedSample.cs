namespace CrisisDesk.TestSupport;

/// <summary>A local news outlet's RSS 2.0 feed, as the source tests serve it: three recent items, two about the flood.</summary>
public static class NewsFeedSample
{
    public static string Rss() => $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0">
              <channel>
                <title>Wessex Evening News</title>
                <link>https://news.example.org/</link>
                <description>Local news</description>
                <item>
                  <title>River Wey flood warning extended to Godalming</title>
                  <link>https://news.example.org/2026/wey-flood-warning</link>
                  <guid isPermaLink="false">wen-1003</guid>
                  <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-5):R}</pubDate>
                  <description>The Environment Agency extended its flood warning overnight.</description>
                </item>
                <item>
                  <title>Council opens rest centre after flood</title>
                  <link>https://news.example.org/2026/rest-centre</link>
                  <guid isPermaLink="false">wen-1002</guid>
                  <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-20):R}</pubDate>
                  <description>Residents of Bramley can shelter at the village hall.</description>
                </item>
                <item>
                  <title>Cricket club wins county cup</title>
                  <link>https://news.example.org/2026/cricket</link>
                  <guid isPermaLink="false">wen-1001</guid>
                  <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-60):R}</pubDate>
                  <description>A famous win at the Oval.</description>
                </item>
              </channel>
            </rss>
            """;
}
