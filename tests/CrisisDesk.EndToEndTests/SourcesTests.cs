using System.Text;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        _feed = await FakeRssServer.StartAsync();
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

        // No sources yet: the empty state offers to add one, in a dialog.
        await page.GetByTestId("sources-empty").GetByTestId("source-add").ClickAsync();
        var form = page.Locator(".mud-dialog");
        await form.Locator("#source-name").WaitForAsync();

        // A mistyped address is caught beside its field before anything is fetched.
        await form.Locator("#source-name").FillAsync("Wessex Evening News");
        await form.Locator("#source-url").FillAsync("feeds.example/news.rss");
        await form.GetByTestId("source-test").ClickAsync();
        await form.Locator(".field-url .mud-input-helper-text.mud-input-error").WaitForAsync();

        await form.Locator("#source-url").FillAsync(_feed.Url);
        await form.Locator("#source-keywords").FillAsync("flood");
        await form.GetByTestId("source-test").ClickAsync();
        var result = form.Locator("[data-testid=source-test-result].passed");
        await result.WaitForAsync();
        Assert.Contains("3 item(s), 2 mention the keywords", await result.Locator(".summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("River Wey flood warning extended to Godalming", await form.Locator("[data-testid=source-test-items]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await form.Locator(".mud-input-helper-text.mud-input-error").CountAsync());

        await form.GetByTestId("source-save").ClickAsync();
        await page.GetByText("Added “Wessex Evening News”. It is stopped: start it when ready.").WaitForAsync();
        var row = page.Locator("tr", new() { Has = page.Locator("[data-testid=source-row]", new() { HasText = "Wessex Evening News" }) });
        await row.WaitForAsync();
        Assert.Equal("Stopped", (await row.Locator("[data-testid=source-state]").InnerTextAsync()).Trim());

        var requestsBeforeStart = _feed.Requests;
        await row.Locator("[data-testid=source-start]").ClickAsync();
        await page.GetByText("Started “Wessex Evening News”.").WaitForAsync();
        await row.Locator("[data-testid=source-stop]").WaitForAsync();
        await PageActions.EventuallyAsync(() => row.Locator("[data-testid=source-stored]").InnerTextAsync(), stored => stored == "2", "the source to store the two matching items");
        Assert.Equal("Running", (await row.Locator("[data-testid=source-state]").InnerTextAsync()).Trim());
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
        await _feed.DisposeAsync();
    }

    /// <summary>A news outlet's RSS feed on 127.0.0.1 that counts its requests.</summary>
    private sealed class FakeRssServer : IAsyncDisposable
    {
        private FakeServer _server = default!;
        private int _requests;

        public string Url => new Uri(_server.Address, "news.rss").ToString();

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<FakeRssServer> StartAsync()
        {
            var feed = new FakeRssServer();
            feed._server = await FakeServer.StartAsync(app => app.MapGet("/news.rss", () =>
            {
                Interlocked.Increment(ref feed._requests);
                return Results.Text(NewsFeedSample.Rss(), "application/rss+xml; charset=utf-8", Encoding.UTF8);
            }));
            return feed;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
