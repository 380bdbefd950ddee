using System.Text.RegularExpressions;
using CrisisDesk.EndToEndTests.Support;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The Admin's feed subscribers page in Chromium, at a desktop and a phone size: a token is created for the drill
/// (shown once), listed, and revoked after a confirmation; the page passes axe and does not scroll sideways.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class FeedSubscribersPageTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "2000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.15",
    };

    [Fact]
    public async Task An_admin_creates_a_token_sees_it_once_and_revokes_it_at_desktop_and_phone_sizes()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await page.SignInAsync("admin", AdminPassword);
        foreach (var (width, height, name) in new[] { (1440, 900, "Desk newsroom"), (390, 844, "Phone newsroom") })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.GotoAsync("/admin/feed-subscribers");
            await page.WaitForCircuitAsync();
            await page.Locator("h1", new() { HasText = "Feed subscribers" }).WaitForAsync();

            await page.Locator("#feed-subscriber-name").FillAsync(name);
            await page.GetByTestId("feed-subscriber-incidents").ClickAsync();
            await page.GetByRole(AriaRole.Option).First.ClickAsync();
            await CloseListAsync(page);
            await page.GetByTestId("feed-subscriber-create").ClickAsync();
            var token = (await page.Locator("#feed-subscriber-token-value").InnerTextAsync()).Trim();
            Assert.Matches(TokenShape(), token);
            await Assertions.Expect(page.GetByTestId("feed-subscribers-table")).ToContainTextAsync(name);
            await page.AssertNoSeriousAxeViolationsAsync($"feed subscribers at {width}x{height}");
            await page.AssertNoHorizontalScrollAsync($"feed subscribers at {width}x{height}");
            await page.ScreenshotAsync($"feed-subscribers-{width}x{height}");

            var row = page.Locator("tr", new() { Has = page.GetByText(name, new() { Exact = true }) });
            await row.GetByTestId("feed-subscriber-revoke").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).Last.ClickAsync();
            await Assertions.Expect(row.GetByTestId("feed-subscriber-status")).ToContainTextAsync("Revoked");
            await page.ScreenshotAsync($"feed-subscribers-revoked-{width}x{height}");
        }
    }

    /// <summary>
    /// Escape closes the multi-select's list, as a person would; on a loaded machine the key can reach the page before
    /// the list has finished opening and leave it open over the form, so the person presses it again.
    /// </summary>
    private static async Task CloseListAsync(IPage page)
    {
        var list = page.GetByRole(AriaRole.Option).First;
        for (var attempt = 0; attempt < 10 && await list.IsVisibleAsync(); attempt++)
        {
            await page.Keyboard.PressAsync("Escape");
            await page.WaitForTimeoutAsync(300);
        }
        await Assertions.Expect(list).ToBeHiddenAsync();
    }

    [GeneratedRegex("^cdf_[A-Za-z0-9_-]{43}$")]
    private static partial Regex TokenShape();
}
