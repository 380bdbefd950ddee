using CrisisDesk.EndToEndTests.Support;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>The war room's map panel during the drill: the located tweets arrive as markers, live; a marker opens its post.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WarRoomMapTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "1000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.4",
        // No tile server in the tests: the bundled world map is the background.
        ["CrisisDesk:Map:TileUrl"] = "",
    };

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Located_posts_appear_as_markers_and_clicking_one_opens_the_post(int width, int height)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();

        var panel = page.GetByTestId("map-panel");
        var canvas = panel.Locator(".map-canvas");
        await panel.ScrollIntoViewIfNeededAsync();
        await Assertions.Expect(panel.GetByTestId("tiles-off")).ToContainTextAsync("none are configured");
        // The drill's tweets with coordinates or a usable place (4 of 238) arrive while it replays.
        await PageActions.EventuallyAsync(async () => int.Parse(await canvas.GetAttributeAsync("data-markers") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            n => n >= 4, "located drill posts on the map", TimeSpan.FromSeconds(120));
        Assert.Contains("located post", await panel.GetByTestId("map-located-count").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync($"map-warroom-{width}x{height}");

        // Clusters (a count in a bubble) open on click until a single post's dot shows; clicking it opens that post.
        var marker = panel.Locator(".post-marker");
        var cluster = panel.Locator(".post-cluster");
        for (var i = 0; i < 12 && await marker.CountAsync() == 0; i++)
        {
            if (await cluster.CountAsync() > 0)
                await cluster.First.ClickAsync();
            await page.WaitForTimeoutAsync(600);
        }
        await marker.First.ClickAsync();
        var selected = page.GetByTestId("selected-post");
        await selected.WaitForAsync();
        Assert.False(string.IsNullOrWhiteSpace(await selected.GetByTestId("selected-text").InnerTextAsync()));
        await page.ScreenshotAsync($"map-warroom-selected-{width}x{height}");
        await selected.GetByTestId("selected-close").ClickAsync();
        await selected.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });

        // The same from the keyboard: a post's dot takes the focus, says what it is (its label, asked for on focus),
        // and Enter opens it.
        await marker.First.FocusAsync();
        await Assertions.Expect(marker.First).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("^@.+: press Enter to open it$"));
        await page.Keyboard.PressAsync("Enter");
        await selected.WaitForAsync();
        await selected.GetByTestId("selected-close").ClickAsync();

        // The feed narrowed to what the map shows: only located posts, no more than the map holds.
        var total = page.GetByTestId("feed-total");
        var all = int.Parse(await total.InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await page.GetByTestId("filter-place").ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("What the map shows").ClickAsync();
        // The drill is still replaying: the feed and the map are read together, each time.
        static int Number(string? text) => int.Parse(text ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await PageActions.EventuallyAsync(async () => (Feed: Number(await total.InnerTextAsync()), Markers: Number(await canvas.GetAttributeAsync("data-markers"))),
            r => r.Feed > 0 && r.Feed <= r.Markers && r.Feed < all, $"the feed narrowed to the map's view (of {all} posts)", TimeSpan.FromSeconds(30));
        await page.ScreenshotAsync($"map-warroom-feed-by-view-{width}x{height}");
    }
}
