using System.Diagnostics;
using System.Text;
using CrisisDesk.Core.Ingest.Formats.Feeds;

// Items parsed and normalised per second, one core: feed document -> entries -> news.item envelope -> Post,
// and CAP document -> Post. Run: dotnet run -c Release --project bench/CrisisDesk.Bench.Feeds [seconds-per-case]
var seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 3;
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
{
    Process.GetCurrentProcess().ProcessorAffinity = 1; // one core, as the issue asks
}

var fetchedAt = DateTimeOffset.UtcNow;
var news = new NewsItemNormaliser();
var cap = new CapAlertNormaliser();
var rss = Encoding.UTF8.GetBytes(SampleFeeds.Rss(50));
var atom = Encoding.UTF8.GetBytes(SampleFeeds.Atom(50));
var capDocs = new[] { "australia.cap", "weather.cap" }.Select(f => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", f))).ToArray();

Console.WriteLine($"feeds bench: {Environment.ProcessorCount} cpus visible, pinned to one; {seconds} s per case; .NET {Environment.Version}");
Run("RSS 2.0 (50-item BBC-style feed)", () => NormaliseFeed(rss));
Run("Atom 1.0 (50-entry news feed)", () => NormaliseFeed(atom));
Run("  RSS parse only", () => FeedParser.Parse(rss).Entries.Count);
Run("  Atom parse only", () => FeedParser.Parse(atom).Entries.Count);
var next = 0;
Run("CAP 1.2/1.1 alert documents", () =>
{
    var result = cap.Normalise(capDocs[next++ % capDocs.Length]);
    return result.Post is null ? throw new InvalidOperationException(result.Error) : 1;
});

int NormaliseFeed(byte[] document)
{
    var feed = FeedParser.Parse(document);
    foreach (var entry in feed.Entries)
    {
        var result = news.Normalise(NewsItemEnvelope.From(feed, entry, "https://feeds.example/news.xml", fetchedAt, []).ToUtf8());
        if (result.Post is null)
        {
            throw new InvalidOperationException(result.Error);
        }
    }

    return feed.Entries.Count;
}

void Run(string name, Func<int> once)
{
    for (var i = 0; i < 200; i++)
    {
        once(); // warm up: JIT tiers, regex caches
    }

    var items = 0L;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        items += once();
    }

    watch.Stop();
    Console.WriteLine($"{name,-36} {items / watch.Elapsed.TotalSeconds,12:N0} items/s  ({items:N0} items in {watch.Elapsed.TotalSeconds:F1} s)");
}

internal static class SampleFeeds
{
    private const string Description = "Residents in Bewdley are told to prepare to leave as the River Severn is expected to peak overnight, with &lt;b&gt;flood defences&lt;/b&gt; in place along the quayside.";

    public static string Rss(int items)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\" version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title><![CDATA[BBC News]]></title><link>https://www.bbc.co.uk/news</link><language>en-gb</language>");
        for (var i = 0; i < items; i++)
        {
            xml.Append($"<item><title><![CDATA[Severn Valley flood warnings as river keeps rising {i}]]></title><description>{Description}</description><link>https://www.bbc.co.uk/news/articles/c9w1flood{i}o</link><guid isPermaLink=\"false\">https://www.bbc.co.uk/news/articles/c9w1flood{i}o#0</guid><pubDate>Sat, 21 Nov 2026 14:{i % 60:00}:03 GMT</pubDate><media:thumbnail width=\"240\" height=\"135\" url=\"https://ichef.bbci.co.uk/ace/standard/240/{i}.jpg\"/></item>\n");
        }

        return xml.Append("</channel></rss>").ToString();
    }

    public static string Atom(int entries)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-US\"><title>Midlands Ledger</title><link rel=\"alternate\" href=\"https://www.midlandsledger.example/\"/><id>urn:ledger</id><updated>2026-11-21T09:44:13-05:00</updated>");
        for (var i = 0; i < entries; i++)
        {
            xml.Append($"<entry><author><name>Alex Heath</name></author><title type=\"html\">Evacuation centre opens at Tewkesbury &amp;amp; District {i}</title><link rel=\"alternate\" type=\"text/html\" href=\"https://www.midlandsledger.example/2026/11/21/story-{i}\"/><id>https://www.midlandsledger.example/2026/11/21/story-{i}</id><updated>2026-11-21T09:44:13-05:00</updated><published>2026-11-21T09:{i % 60:00}:00-05:00</published><category term=\"Flooding\"/><summary type=\"html\">&lt;p&gt;{Description}&lt;/p&gt;</summary></entry>\n");
        }

        return xml.Append("</feed>").ToString();
    }
}
