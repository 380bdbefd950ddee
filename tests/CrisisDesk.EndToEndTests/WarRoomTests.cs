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

        // The admin adds a viewer through the Users page, who then watches from a second browser.
        await admin.AddUserAsync("duty.officer", "Duty Officer", "Viewer", "duty-officer-password");

        await admin.GotoAsync("/");
        await admin.WaitForCircuitAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Drill: Germanwings 9525 (PHEME replay)" }).ClickAsync();
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

        // New posts appear in both open pages: no reload, no navigation.
        await admin.FeedTotalEventuallyAsync(total => total > first, "the feed total to grow without a reload");
        await viewer.FeedTotalEventuallyAsync(total => total > viewerFirst, "the second browser's feed to grow without a reload");
        var card = admin.Locator("[data-testid=feed] article.post").First;
        Assert.False(string.IsNullOrWhiteSpace(await card.Locator("p.text").InnerTextAsync()));

        // The README's picture of the war room, taken mid-drill with the chart moving.
        await admin.FeedTotalEventuallyAsync(total => total >= 120 || total == DrillPosts, "enough posts for the screenshot");
        await admin.WaitForCircuitAsync();
        Directory.CreateDirectory(Path.Combine(Repository.Root, "docs", "images"));
        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repository.Root, "docs", "images", "war-room.png") });

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
}
