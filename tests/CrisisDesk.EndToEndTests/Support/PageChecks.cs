using System.Text.Json;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests.Support;

/// <summary>
/// Checks any page can take: axe-core (from npm, tests/CrisisDesk.EndToEndTests/node_modules, installed by test.sh)
/// run inside the page, sideways scrolling, and screenshots kept for people to look at.
/// </summary>
public static class PageChecks
{
    private static readonly string AxeScript = Path.Combine(Repository.Root, "tests", "CrisisDesk.EndToEndTests", "node_modules", "axe-core", "axe.min.js");

    /// <summary>Where screenshots go: CRISISDESK_SCREENSHOT_DIR, docs/images with CRISISDESK_UPDATE_SCREENSHOTS=1, else a temporary directory.</summary>
    public static string ScreenshotDirectory { get; } =
        Environment.GetEnvironmentVariable("CRISISDESK_SCREENSHOT_DIR") is { Length: > 0 } configured ? configured
        : Environment.GetEnvironmentVariable("CRISISDESK_UPDATE_SCREENSHOTS") == "1" ? Path.Combine(Repository.Root, "docs", "images")
        : Path.Combine(Path.GetTempPath(), "crisisdesk-screenshots");

    /// <summary>The serious and critical axe-core violations on the page as it is now, one line per rule and node.</summary>
    public static async Task<IReadOnlyList<string>> SeriousAxeViolationsAsync(this IPage page)
    {
        if (!File.Exists(AxeScript))
            throw new FileNotFoundException($"axe-core is not installed at {AxeScript}: run `npm ci` in tests/CrisisDesk.EndToEndTests (./test.sh does).");
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxeScript });
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return JSON.stringify(result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .flatMap(v => v.nodes.map(n => ({ rule: v.id, impact: v.impact, help: v.help, target: n.target.join(' '), html: n.html.slice(0, 160), summary: (n.failureSummary || '').split('\n').slice(1, 2).join(' ').trim() }))));
            }
            """);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(v => $"{v.GetProperty("rule").GetString()} ({v.GetProperty("impact").GetString()}): {v.GetProperty("help").GetString()} at `{v.GetProperty("target").GetString()}` {v.GetProperty("summary").GetString()} {v.GetProperty("html").GetString()}")
            .ToList();
    }

    public static async Task AssertNoSeriousAxeViolationsAsync(this IPage page, string what)
    {
        var violations = await page.SeriousAxeViolationsAsync();
        Assert.True(violations.Count == 0, $"{what}: {violations.Count} serious or critical axe violations:\n  " + string.Join("\n  ", violations));
    }

    /// <summary>Whether the page is wider than the window (the document scrolls sideways): null when it fits, else what sticks out.</summary>
    public static async Task<string?> HorizontalScrollAsync(this IPage page) =>
        await page.EvaluateAsync<string?>("""
            () => {
              const width = document.scrollingElement.scrollWidth;
              if (width <= innerWidth) return null;
              const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).slice(0, 2).join('.') : ''));
              return `scrollWidth ${width} > innerWidth ${innerWidth}; wider than the window: ${wide.join(', ')}`;
            }
            """);

    public static async Task AssertNoHorizontalScrollAsync(this IPage page, string what)
    {
        var overflow = await page.HorizontalScrollAsync();
        Assert.True(overflow is null, $"{what} scrolls sideways: {overflow}");
    }

    /// <summary>
    /// One of the README's pictures, docs/images/NAME.png, taken by the run that checks the page: every end-to-end run
    /// regenerates them, so they show the product as it is.
    /// </summary>
    public static async Task ReadmePictureAsync(this IPage page, string name)
    {
        var folder = Path.Combine(Repository.Root, "docs", "images");
        Directory.CreateDirectory(folder);
        // The picture shows the page, not the test's last hover or focus: a tooltip would cover what it is about.
        var viewport = page.ViewportSize;
        if (viewport is not null)
            await page.Mouse.MoveAsync(viewport.Width - 1, viewport.Height - 1);
        await page.EvaluateAsync("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()");
        await Assertions.Expect(page.Locator(".mud-tooltip.mud-popover-open:visible")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png") });
    }

    /// <summary>Saves a screenshot of the window as NAME.png in <see cref="ScreenshotDirectory"/>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(this IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }
}
