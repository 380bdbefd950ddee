using System.Net;
using System.Net.Sockets;
using System.Text;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>An admin points a new incident at a news feed: tests it, adds it, starts it, and its items reach the war room.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SourcesTests(BrowserFixture browser) : AppTests(browser)
{
    private FakeRssServer _feed = default!;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
    };

    public override async Task InitializeAsync()
    {
        _feed = FakeRssServer.Start();
        await base.InitializeAsync();
    }

    [Fact]
    public async Task An_admin_tests_adds_and_starts_an_rss_source_and_its_items_appear_in_the_war_room()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.WaitForCircuitAsync();
        await page.GetByLabel("Name").FillAsync("River Wey flooding");
        await page.GetByLabel("Keywords").FillAsync("flood");
        await page.GetByRole(AriaRole.Button, new() { Name = "Open incident" }).ClickAsync();
        await page.WaitForURLAsync("**/incidents/*");
        await page.WaitForCircuitAsync();
        Assert.Equal(0, await page.FeedTotalAsync());

        await page.Locator("[data-testid=sources-link]").ClickAsync();
        await page.WaitForURLAsync("**/sources");
        await page.WaitForCircuitAsync();

        // A mistyped address is caught beside its field before anything is fetched.
        await page.Locator("#source-name").FillAsync("Wessex Evening News");
        await page.Locator("#source-url").FillAsync("feeds.example/news.rss");
        await page.Locator("[data-testid=source-test]").ClickAsync();
        await page.Locator(".field-error[data-field=url]").WaitForAsync();

        await page.Locator("#source-url").FillAsync(_feed.Url);
        await page.Locator("#source-keywords").FillAsync("flood");
        await page.Locator("[data-testid=source-test]").ClickAsync();
        var result = page.Locator("[data-testid=source-test-result].passed");
        await result.WaitForAsync();
        Assert.Contains("3 item(s), 2 mention the keywords", await result.Locator(".summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("River Wey flood warning extended to Godalming", await result.Locator("[data-testid=source-test-items]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator(".field-error").CountAsync());

        await page.Locator("[data-testid=source-save]").ClickAsync();
        var row = page.Locator("[data-testid=source-row]", new() { HasText = "Wessex Evening News" });
        await row.WaitForAsync();
        Assert.Equal("stopped", await row.Locator("[data-testid=source-state]").InnerTextAsync());

        var requestsBeforeStart = _feed.Requests;
        await row.Locator("[data-testid=source-start]").ClickAsync();
        await row.Locator("[data-testid=source-stop]").WaitForAsync();
        await PageActions.EventuallyAsync(() => row.Locator("[data-testid=source-stored]").InnerTextAsync(), stored => stored == "2", "the source to store the two matching items");
        Assert.True(_feed.Requests > requestsBeforeStart, "starting the source should have fetched the feed");

        await page.Locator("[data-testid=back-to-war-room]").ClickAsync();
        await page.WaitForURLAsync(url => !url.EndsWith("/sources", StringComparison.Ordinal));
        await page.WaitForCircuitAsync();
        await PageActions.EventuallyAsync(page.FeedTotalAsync, total => total == 2, "the war room feed to show the two items");
        // The virtualised list fills in after the total is shown: wait for the cards themselves.
        await page.Locator("[data-testid=feed] article.post", new() { HasText = "Council opens rest centre after flood" }).WaitForAsync();
        var feed = await page.Locator("[data-testid=feed]").InnerTextAsync();
        Assert.Contains("River Wey flood warning extended to Godalming", feed, StringComparison.Ordinal);
        Assert.Contains("Council opens rest centre after flood", feed, StringComparison.Ordinal);
        Assert.DoesNotContain("Cricket club", feed, StringComparison.Ordinal);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _feed.Dispose();
    }

    /// <summary>A news feed on 127.0.0.1 (HttpListener: this project has no ASP.NET): RSS 2.0, three items, two about the flood.</summary>
    private sealed class FakeRssServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _requests;

        private FakeRssServer(int port)
        {
            Url = $"http://127.0.0.1:{port}/news.rss";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public static FakeRssServer Start()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var server = new FakeRssServer(port);
            server._listener.Start();
            _ = Task.Run(server.ServeAsync);
            return server;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                Interlocked.Increment(ref _requests);
                var found = context.Request.Url?.AbsolutePath == "/news.rss";
                context.Response.StatusCode = found ? 200 : 404;
                if (found)
                {
                    var body = Encoding.UTF8.GetBytes(Rss());
                    context.Response.ContentType = "application/rss+xml; charset=utf-8";
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                context.Response.Close();
            }
        }

        private static string Rss() => $"""
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

        public void Dispose() => _listener.Close();
    }
}
