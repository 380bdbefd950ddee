using CrisisDesk.EndToEndTests.Support;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// On a 390×844 phone the admin and review pages (sources, users, audit log, review list, replay) never scroll
/// sideways: tables become stacked cards and long text wraps.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminPagesOnPhoneTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        // The drill gives the pages content: an incident, a running source, posts, events.
        ["CrisisDesk:Drill:Speed"] = "2000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.15",
    };

    [Theory]
    [InlineData("/incidents/1/sources")]
    [InlineData("/admin/users")]
    [InlineData("/admin/audit")]
    [InlineData("/review")]
    [InlineData("/review/1")]
    public async Task The_page_does_not_scroll_sideways_on_a_phone(string path)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync(path);
        await page.WaitForCircuitAsync();
        // Wait for the page's own content (past its loading skeleton) before measuring.
        await page.Locator("h1").First.WaitForAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var (scrollWidth, viewport) = await WidthsAsync(page);
        Assert.True(scrollWidth <= viewport, $"{path} is {scrollWidth}px wide in a {viewport}px viewport: it scrolls sideways");
    }

    private static async Task<(int ScrollWidth, int Viewport)> WidthsAsync(IPage page)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        return (widths[0], widths[1]);
    }
}
