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

    // One app for all five pages: each test of an AppTests class starts its own.
    [Fact]
    public async Task Sources_users_audit_review_and_replay_do_not_scroll_sideways_on_a_phone()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.SignInAsync("admin", AdminPassword);
        // Every page is measured before failing, so one run names every page that does not fit.
        var problems = new List<string>();
        foreach (var path in (string[])["/incidents/1/sources", "/admin/users", "/admin/audit", "/review", "/review/1"])
            problems.AddRange(await ProblemsAsync(page, path));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task<IReadOnlyList<string>> ProblemsAsync(IPage page, string path)
    {
        var problems = new List<string>();
        await page.GotoAsync(path);
        await page.WaitForCircuitAsync();
        // Wait for the page's own content (past its loading skeleton) before measuring.
        await page.Locator("h1").First.WaitForAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.Locator(".mud-skeleton").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // The page's own content (inside <main>) must fit: nothing in it reaches past the viewport's right edge. The
        // whole document is checked too, which also covers the shared app bar. A map's tiles and layers lie past its
        // edge by design (the map clips them and pans over them): the map itself must fit, not what it holds.
        var overflowing = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('main *')]
                .filter(e => !e.parentElement?.closest('.leaflet-container'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.getClientRects().length > 0)
                .slice(0, 5)
                .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)}`)
            """);
        if (overflowing.Length > 0)
            problems.Add($"{path} has content past the 390px edge: {string.Join("; ", overflowing)}");
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        if (widths[0] > widths[1])
        {
            var wide = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.getClientRects().length > 0)
                    .slice(0, 3)
                    .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`)
                """);
            problems.Add($"{path} is {widths[0]}px wide in a {widths[1]}px viewport (it scrolls sideways), widest: {string.Join("; ", wide)}");
        }
        return problems;
    }
}
