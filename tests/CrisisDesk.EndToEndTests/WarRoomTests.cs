using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>A newcomer's first minutes: sign in, open the drill, watch posts arrive live in two browsers.</summary>
[Collection(BrowserCollection.Name)]
public sealed class WarRoomTests(BrowserFixture browser) : AppTests(browser)
{
    private const int DrillPosts = 238;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        // Fast enough to finish within the test, slow enough that posts visibly arrive while we watch.
        ["CrisisDesk:Drill:Speed"] = "1000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.4",
    };

    [Fact]
    public async Task Posts_arrive_without_reload_and_a_second_browser_sees_them_too()
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        // The drill is held while the two people get their pages open (it replays in about 30 s, which a loaded machine
        // can spend on the setting up alone), then goes on: what is tested is what arrives while they watch.
        var drill = await DrillSourceAsync(admin);
        await SetDrillRunningAsync(admin, drill, running: false);

        // The admin adds a viewer through the Users page, who then watches from a second browser.
        await admin.AddUserAsync("duty.officer", "Duty Officer", "Viewer", "duty-officer-password");

        await admin.GotoAsync("/");
        await admin.WaitForCircuitAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Drill: Germanwings 9525 (PHEME replay)", Exact = true }).ClickAsync();
        await admin.WaitForURLAsync("**/incidents/1");
        await admin.WaitForCircuitAsync();

        var viewer = await NewPageAsync();
        await viewer.SignInAsync("duty.officer", "duty-officer-password");
        await viewer.GotoAsync("/incidents/1");
        await viewer.WaitForCircuitAsync();

        var first = await admin.FeedTotalAsync();
        var viewerFirst = await viewer.FeedTotalAsync();
        Assert.True(first < DrillPosts && viewerFirst < DrillPosts,
            $"the drill should still be replaying while both war rooms are open, but they show {first} and {viewerFirst} of {DrillPosts} posts");
        await SetDrillRunningAsync(admin, drill, running: true);

        // New posts appear in both open pages: no reload, no navigation.
        await admin.FeedTotalEventuallyAsync(total => total > first, "the feed total to grow without a reload");
        await viewer.FeedTotalEventuallyAsync(total => total > viewerFirst, "the second browser's feed to grow without a reload");
        var card = admin.Locator("[data-testid=feed] article.post").First;
        Assert.False(string.IsNullOrWhiteSpace(await card.Locator("p.text").InnerTextAsync()));
        // The viewer reads; only operators see the triage actions.
        await viewer.Locator("[data-testid=feed] article.post").First.WaitForAsync();
        Assert.Equal(0, await viewer.GetByTestId("post-flag").CountAsync());
        Assert.True(await admin.GetByTestId("post-flag").CountAsync() > 0);

        // The README's picture of the war room, taken mid-drill with the chart moving.
        await admin.FeedTotalEventuallyAsync(total => total >= 120 || total == DrillPosts, "enough posts for the screenshot");
        await admin.WaitForCircuitAsync();
        await admin.ReadmePictureAsync("war-room");
        // And at night: the dark theme is painted from its cookie at first render, as the user menu's switch leaves it.
        await admin.Context.AddCookiesAsync([new Cookie { Name = "crisisdesk.theme", Value = "dark", Url = App.BaseAddress.ToString() }]);
        await admin.ReloadAsync();
        await admin.WaitForCircuitAsync();
        await admin.Locator("[data-testid=feed] article.post").First.WaitForAsync();
        var background = await admin.EvaluateAsync<int[]>("() => getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)");
        Assert.True(background.Sum() < 150, $"the dark theme's page background is rgb({string.Join(", ", background)})");
        await admin.ReadmePictureAsync("war-room-dark");

        // Both end on the whole drill, each post once.
        await admin.FeedTotalEventuallyAsync(total => total == DrillPosts, $"the admin's feed to reach {DrillPosts}", TimeSpan.FromSeconds(120));
        await viewer.FeedTotalEventuallyAsync(total => total == DrillPosts, $"the viewer's feed to reach {DrillPosts}");
    }

    [Fact]
    public async Task Pause_holds_the_feed_and_counts_what_is_waiting_then_catches_up()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();
        await page.FeedTotalEventuallyAsync(total => total > 0, "the first posts");

        await page.GetByTestId("feed-pause").ClickAsync();
        // The click is only sent; the Resume button shows once the server has paused the feed.
        await page.GetByTestId("feed-resume").WaitForAsync();
        var held = await page.FeedTotalAsync();
        async Task<int> PendingAsync() =>
            int.Parse((await page.GetByTestId("feed-pending").InnerTextAsync()).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        // A list refresh sent just before the pause may still be landing: the list has settled when its top post is the
        // post the view is anchored at (data-anchor, the newest post the paused view holds).
        var firstWaiting = await PageActions.EventuallyAsync(PendingAsync, n => n > 0, "the paused feed to count new posts");
        var anchor = await page.GetByTestId("feed").GetAttributeAsync("data-anchor");
        var topPost = await PageActions.EventuallyAsync(
            () => page.Locator("[data-testid=feed] article.post").First.GetAttributeAsync("data-post-id"), id => id == anchor, "the paused list to settle on its anchor");
        var waiting = await PageActions.EventuallyAsync(PendingAsync, n => n > firstWaiting, "more posts to wait while paused");

        Assert.Equal(held, await page.FeedTotalAsync());
        Assert.Equal(anchor, await page.GetByTestId("feed").GetAttributeAsync("data-anchor"));
        Assert.Equal(topPost, await page.Locator("[data-testid=feed] article.post").First.GetAttributeAsync("data-post-id"));

        await page.GetByTestId("feed-resume").ClickAsync();
        var resumed = await page.FeedTotalEventuallyAsync(total => total >= held + waiting, "the feed to catch up on resume");
        Assert.True(resumed >= held + waiting);
    }

    [Fact]
    public async Task At_1440_by_900_no_panel_is_clipped_and_an_open_action_s_button_is_on_screen()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();
        await page.FeedTotalEventuallyAsync(total => total >= 100, "enough posts to fill the panels");
        await page.Locator("[data-testid=volume-chart] svg").First.WaitForAsync();
        await page.Locator("[data-testid=story-open]").First.WaitForAsync();

        // Every panel's content fits or scrolls inside it, and every panel is inside the window from side to side.
        var clipped = await page.EvaluateAsync<string[]>(ClippedPanelsScript);
        Assert.True(clipped.Length == 0, "clipped: " + string.Join("; ", clipped));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "the page scrolls sideways");
        // What the classifier read: the type on the cards and the mood beside the volume.
        await page.GetByTestId("post-type").First.WaitForAsync();
        await page.Locator("[data-testid=mood-chart] svg").First.WaitForAsync();

        // An open action: its button is on screen.
        await page.GetByTestId("post-flag").First.ClickAsync();
        await AssertOnScreenAsync(page, page.GetByTestId("rumour-create"));
        await page.GetByTestId("rumour-cancel").ClickAsync();
        await page.Locator("[data-testid=story-open]").First.ClickAsync();
        await AssertOnScreenAsync(page, page.GetByTestId("story-flag"));
        await page.GetByTestId("story-close").ClickAsync();
        await page.GetByTestId("post-open").First.ClickAsync();
        await AssertOnScreenAsync(page, page.GetByTestId("selected-flag"));
    }

    [Fact]
    public async Task On_a_390_pixel_phone_the_war_room_does_not_scroll_sideways_and_its_feed_is_usable()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();
        await page.FeedTotalEventuallyAsync(total => total >= 20, "the first posts");
        await page.Locator("[data-testid=feed] article.post").First.WaitForAsync();

        // Nothing of the war room reaches past the right edge of the screen.
        var outside = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('[data-testid=warroom] *')]
                // A map's tiles lie past its edge by design (it clips them and pans over them): the map itself must fit.
                .filter(e => !e.parentElement?.closest('.leaflet-container'))
                .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1); })
                .slice(0, 10).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().left)}..${Math.round(e.getBoundingClientRect().right)}`)
            """);
        Assert.True(outside.Length == 0, "past the edge: " + string.Join("; ", outside));
        var warRoom = await page.GetByTestId("warroom").EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth");
        Assert.True(warRoom, "the war room scrolls sideways");
        await page.GetByTestId("post-type").First.WaitForAsync();

        // A thumb can flag the newest post and write the rumour in a drawer as wide as the screen, its button on screen.
        // The feed is paused first, as in the desktop flag test: a post arriving as the tap lands moves the flag away
        // from under it (once in a clean run the drawer never opened).
        await page.GetByTestId("feed-pause").ClickAsync();
        await page.GetByTestId("feed-resume").WaitForAsync();
        var anchor = await page.GetByTestId("feed").GetAttributeAsync("data-anchor");
        var postId = await PageActions.EventuallyAsync(
            () => page.Locator("[data-testid=feed] article.post").First.GetAttributeAsync("data-post-id"), id => id == anchor, "the paused list to settle on its anchor");
        var flag = page.Locator($"[data-testid=feed] article.post[data-post-id='{postId}']").GetByTestId("post-flag");
        var box = await flag.BoundingBoxAsync();
        Assert.True(box!.Height >= 28, $"the flag button is {box.Height} px high");
        await flag.ClickAsync();
        await AssertOnScreenAsync(page, page.GetByTestId("rumour-create"));
        await page.GetByTestId("rumour-cancel").ClickAsync();
        // The README shows the live war room, not the drawer on its way out nor a paused feed.
        await page.GetByTestId("rumour-create").WaitForAsync(new() { State = WaitForSelectorState.Hidden });
        await page.GetByTestId("feed-resume").ClickAsync();
        await page.GetByTestId("feed-pause").WaitForAsync();
        await page.ReadmePictureAsync("war-room-phone");
    }

    [Fact]
    public async Task Flag_a_post_write_the_rumour_in_the_drawer_and_the_war_room_lists_it()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();
        await page.FeedTotalEventuallyAsync(total => total >= 10, "the first posts");
        // Held still while the drill goes on: new posts would push the flagged one out of the rendered rows.
        await page.GetByTestId("feed-pause").ClickAsync();
        // Only once the server has paused the feed and the list has settled on the post the view is anchored at: a post
        // picked before that can be pushed out of the rendered rows by the last refresh.
        await page.GetByTestId("feed-resume").WaitForAsync();
        var anchor = await page.GetByTestId("feed").GetAttributeAsync("data-anchor");
        var postId = await PageActions.EventuallyAsync(
            () => page.Locator("[data-testid=feed] article.post").First.GetAttributeAsync("data-post-id"), id => id == anchor, "the paused list to settle on its anchor");
        var post = page.Locator($"[data-testid=feed] article.post[data-post-id='{postId}']");
        await post.GetByTestId("post-flag").ClickAsync();
        var drawer = page.GetByTestId("rumour-draft");
        await drawer.WaitForAsync();
        await drawer.GetByLabel("Claim (one line)").FillAsync("The co-pilot locked the captain out");
        await drawer.GetByText("Critical", new() { Exact = true }).ClickAsync();
        await drawer.GetByLabel("Owner").FillAsync("duty desk");
        await page.GetByTestId("rumour-create").ClickAsync();

        await page.GetByText("Rumour #1 created.").WaitForAsync();
        var listed = page.Locator("[data-testid=open-rumour][data-rumour-id='1']");
        await listed.WaitForAsync();
        Assert.Contains("The co-pilot locked the captain out", await listed.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Critical", await listed.InnerTextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("rumour-draft")).ToHaveCountAsync(0);
        await page.Locator($"[data-testid=feed] article.post[data-post-id='{postId}'] [data-testid=post-flagged]").WaitForAsync();

        // The board has it, linked to the post.
        await listed.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync("**/incidents/1/rumours");
        await page.GetByText("The co-pilot locked the captain out").First.WaitForAsync();
    }

    [Fact]
    public async Task A_paused_circuit_resumes_on_the_same_view()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();
        await page.FeedTotalEventuallyAsync(total => total >= 20, "the first posts");
        await page.Locator("#triage-search").FillAsync("germanwings");
        await page.Locator("#triage-search").PressAsync("Enter");
        await page.Locator(".wr-feed-count", new() { HasTextString = "match" }).WaitForAsync();
        await page.GetByTestId("post-open").First.ClickAsync();
        var selected = await page.GetByTestId("selected-post").GetAttributeAsync("data-post-id");

        // What the browser does when the tab is hidden long enough or the server evicts the circuit: the server keeps
        // the view's state, and a new circuit is built from it.
        // The person then clicks Resume, as they would: the page's own resume, which waits for the server to have
        // stored the state (it does so in the background).
        Assert.True(await page.EvaluateAsync<bool>("() => Blazor.pauseCircuit()"), "the circuit did not pause");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await page.WaitForCircuitAsync();

        Assert.Equal("germanwings", await page.Locator("#triage-search").InputValueAsync());
        await page.Locator(".wr-feed-count", new() { HasTextString = "match" }).WaitForAsync();
        Assert.Equal(selected, await page.GetByTestId("selected-post").GetAttributeAsync("data-post-id"));
    }

    private const string ClippedPanelsScript = """
        () => {
            const problems = [];
            const boxes = [...document.querySelectorAll('[data-testid=side-panels] .wr-panel, [data-testid=side-panels] .wr-panel-body, [data-testid=side-panels], [data-testid=feed], [data-testid=filters], [data-testid=source-strip]')];
            for (const e of boxes) {
                const name = e.getAttribute('data-testid') || e.className;
                const style = getComputedStyle(e);
                const scrolls = style.overflowY === 'auto' || style.overflowY === 'scroll';
                if (e.scrollHeight > e.clientHeight + 1 && !scrolls) problems.push(`${name}: ${e.scrollHeight} px of content in ${e.clientHeight} px, overflow ${style.overflowY}`);
                const r = e.getBoundingClientRect();
                if (r.left < -1 || r.right > window.innerWidth + 1) problems.push(`${name}: ${Math.round(r.left)}..${Math.round(r.right)} outside 0..${window.innerWidth}`);
                if (e.classList.contains('wr-panel') && r.height < 60) problems.push(`${name}: squashed to ${Math.round(r.height)} px`);
            }
            return problems;
        }
        """;

    private static async Task AssertOnScreenAsync(IPage page, ILocator button)
    {
        await button.WaitForAsync();
        var box = await button.BoundingBoxAsync();
        var viewport = page.ViewportSize!;
        Assert.True(box is not null && box.X >= 0 && box.Y >= 0 && box.X + box.Width <= viewport.Width && box.Y + box.Height <= viewport.Height,
            $"the button is at {box?.X},{box?.Y} ({box?.Width}x{box?.Height}), outside the {viewport.Width}x{viewport.Height} window");
    }

    [Fact]
    public async Task The_badge_says_the_view_stopped_when_the_server_ended_the_circuit_with_an_error()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/incidents/1");
        await page.WaitForCircuitAsync();

        // What Blazor does when an unhandled server error ends the circuit: show the error bar, nothing else.
        await page.EvaluateAsync("() => { document.getElementById('blazor-error-ui').style.display = 'block'; }");

        await page.Locator("#components-reconnect-modal .connection-chip .circuit-ended").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.False(await page.Locator("#components-reconnect-modal .circuit-connected").IsVisibleAsync());
    }

    [Fact]
    public async Task A_wrong_password_stays_on_the_sign_in_page_with_a_message()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/incidents/1");
        await page.WaitForURLAsync("**/login**");
        await page.FillAsync("#userName", "admin");
        await page.FillAsync("#password", "not-the-password");
        await page.ClickAsync("button[type=submit]");

        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        Assert.Contains("do not match", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
    }

    /// <summary>The drill incident's one source (the replay), by the same HTTP API a script would use.</summary>
    private static async Task<int> DrillSourceAsync(IPage admin)
    {
        var response = await admin.Context.APIRequest.GetAsync("/api/incidents/1/sources");
        Assert.True(response.Ok, $"listing the drill's sources answered {response.Status}");
        using var sources = System.Text.Json.JsonDocument.Parse(await response.TextAsync());
        return sources.RootElement.EnumerateArray().Single().GetProperty("id").GetInt32();
    }

    private static async Task SetDrillRunningAsync(IPage admin, int sourceId, bool running)
    {
        var response = await admin.Context.APIRequest.PostAsync($"/api/incidents/1/sources/{sourceId}/{(running ? "start" : "stop")}", new() { Headers = PageActions.ScriptHeaders });
        Assert.True(response.Ok, $"{(running ? "starting" : "stopping")} the drill answered {response.Status}: {await response.TextAsync()}");
    }
}
