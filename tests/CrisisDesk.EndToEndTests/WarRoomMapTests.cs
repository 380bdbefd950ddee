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

        // Clusters open until a single post shows; clicking it opens that post.
        var marker = panel.Locator(".post-marker");
        await OpenClustersUntilAPostShowsAsync(page, panel);
        await marker.First.ClickAsync();
        var selected = page.GetByTestId("selected-post");
        await selected.WaitForAsync();
        Assert.False(string.IsNullOrWhiteSpace(await selected.GetByTestId("selected-text").InnerTextAsync()));
        await page.ScreenshotAsync($"map-warroom-selected-{width}x{height}");
        await selected.GetByTestId("selected-close").ClickAsync();
        await selected.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });

        // The same from the keyboard: a post's dot takes the focus, says what it is (its label, asked for on focus),
        // and Enter opens it. Asked of the dot with the focus, not of the first: a post arriving meanwhile (the drill
        // replays on) can change which dot is first.
        await marker.First.FocusAsync();
        await Assertions.Expect(panel.Locator(".post-marker:focus")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("^@.+: press Enter to open it$"));
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

    /// <summary>
    /// The prerendered page draws the map with its posts while the circuit is still starting (held back here), and
    /// the circuit keeps that same map: one map, the same Leaflet container, a marker clicked before it was up opens its
    /// post once it is. Keyboard: Enter on a cluster leaves the focus on the map, on what replaced the cluster.
    /// </summary>
    [Fact]
    public async Task The_map_is_drawn_before_the_circuit_is_up_and_the_circuit_keeps_it()
    {
        var first = await NewPageAsync();
        await first.SignInAsync("admin", AdminPassword);
        await first.GotoAsync("/incidents/1");
        await first.WaitForCircuitAsync();
        await PageActions.EventuallyAsync(async () => int.Parse(await first.GetByTestId("map-panel").Locator(".map-canvas").GetAttributeAsync("data-markers") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            n => n >= 4, "located drill posts on the map", TimeSpan.FromSeconds(120));
        await first.CloseAsync();

        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        var release = new TaskCompletionSource();
        await page.RouteAsync("**/_blazor/negotiate*", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });
        await page.GotoAsync("/incidents/1");
        var panel = page.GetByTestId("map-panel");
        var canvas = panel.Locator(".map-canvas");
        await panel.ScrollIntoViewIfNeededAsync();
        var posts = panel.Locator(".post-cluster, .post-marker");
        await posts.First.WaitForAsync();
        var early = int.Parse(await canvas.GetAttributeAsync("data-markers") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(early >= 4, $"{early} posts drawn before the circuit");
        Assert.Equal(0, await page.Locator("#components-reconnect-modal .circuit-connected:visible").CountAsync());
        await canvas.Locator(".map-leaflet").EvaluateAsync("e => e.dataset.drawnEarly = 'yes'");
        // Whether the map ever leaves the page once the circuit renders (a skeleton in place of the prerendered page
        // would take it away until the page came back).
        await page.EvaluateAsync("""
            () => {
              const map = document.querySelector('[data-testid=map-panel] .map-leaflet');
              window.mapLeftThePage = false;
              new MutationObserver(() => { if (!map.isConnected) window.mapLeftThePage = true; })
                .observe(document.body, { childList: true, subtree: true });
            }
            """);

        // A post opened before the circuit is up: the click waits for it.
        var marker = panel.Locator(".post-marker");
        var cluster = panel.Locator(".post-cluster");
        await OpenClustersUntilAPostShowsAsync(page, panel);
        await marker.First.ClickAsync();
        release.SetResult();
        await page.WaitForCircuitAsync();
        await page.GetByTestId("selected-post").WaitForAsync();

        Assert.False(await page.EvaluateAsync<bool>("() => window.mapLeftThePage"), "the map left the page when the circuit came up");
        Assert.Equal(1, await panel.Locator(".leaflet-container").CountAsync());
        Assert.Equal("yes", await canvas.Locator(".map-leaflet").GetAttributeAsync("data-drawn-early"));
        await PageActions.EventuallyAsync(async () => int.Parse(await canvas.GetAttributeAsync("data-markers") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            n => n >= early, "the posts kept after the circuit came up", TimeSpan.FromSeconds(30));
        await page.GetByTestId("selected-post").GetByTestId("selected-close").ClickAsync();

        // The keyboard on a cluster: the view zooms in and the focus stays on the map, on a marker.
        for (var i = 0; i < 12 && await cluster.CountAsync() == 0; i++)
        {
            await panel.Locator(".leaflet-control-zoom-out").ClickAsync();
            await page.WaitForTimeoutAsync(400);
        }
        await cluster.First.FocusAsync();
        await cluster.First.EvaluateAsync("e => window.pressedCluster = e");
        await page.Keyboard.PressAsync("Enter");
        // Zoomed in, the cluster is gone (the focus would fall to the page); spread out, its first post takes it.
        await PageActions.EventuallyAsync(() => page.EvaluateAsync<string>("""
            () => {
              const e = document.activeElement;
              if (e === window.pressedCluster) return 'still on the cluster pressed';
              return e?.closest('[data-testid=map-panel]') ? e.className : 'outside the map: ' + e?.tagName;
            }
            """),
            c => c.Contains("post-marker", StringComparison.Ordinal) || c.Contains("post-cluster", StringComparison.Ordinal),
            "the focus on what replaced the cluster after Enter on it", TimeSpan.FromSeconds(10));
    }

    // Clusters (a count in a bubble) open on click until a single post's dot shows.
    private static async Task OpenClustersUntilAPostShowsAsync(IPage page, ILocator panel)
    {
        var cluster = panel.Locator(".post-cluster");
        for (var i = 0; i < 12 && await panel.Locator(".post-marker").CountAsync() == 0; i++)
        {
            if (await cluster.CountAsync() > 0)
                await cluster.First.ClickAsync();
            await page.WaitForTimeoutAsync(600);
        }
    }
}
