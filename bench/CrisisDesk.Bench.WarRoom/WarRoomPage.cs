using System.Globalization;
using Microsoft.Playwright;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>One war-room circuit: a browser context of its own (signed in with the admin's cookie) on /incidents/{id}.</summary>
internal sealed class WarRoomPage(IBrowserContext context, IPage page)
{
    /// <summary>How many posts the replay file holds: a total that reaches it stopped because the replay ended.</summary>
    public static long ReplayPosts { get; set; } = long.MaxValue;

    /// <summary>Opens <paramref name="count"/> war rooms, a few at a time; each is returned once its circuit is up and its feed total grows.</summary>
    public static async Task<List<WarRoomPage>> OpenAsync(IBrowser browser, string storageState, Uri baseAddress, int incidentId, int count)
    {
        var opened = new List<WarRoomPage>();
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var context = await browser.NewContextAsync(new BrowserNewContextOptions
                {
                    BaseURL = baseAddress.ToString(),
                    StorageState = storageState,
                    ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
                });
                context.SetDefaultTimeout(90_000);
                var page = await context.NewPageAsync();
                await page.GotoAsync($"/incidents/{incidentId}");
                var warRoom = new WarRoomPage(context, page);
                await warRoom.WaitForCircuitAsync();
                if (await page.EvaluateAsync<string>("document.visibilityState") != "visible")
                    throw new BenchFailure("a war-room page is not visible to its renderer (a hidden page would be throttled)");
                var first = await warRoom.FeedTotalAsync();
                await warRoom.WaitForGrowthAsync(first);
                // Counts the feed total's changes: how many live updates reach the page (the interactive render is in place now).
                // Counts the feed total's changes and notes when each total reached the page (wall clock, ms since
                // the epoch, the same clock the bench notes commits on): the commit → rendered latency.
                await page.EvaluateAsync("""
                    () => {
                      window.benchUpdates = 0;
                      window.benchRenders = [];
                      const total = document.querySelector('[data-testid=feed-total]');
                      new MutationObserver(() => {
                        window.benchUpdates++;
                        window.benchRenders.push([performance.timeOrigin + performance.now(), parseInt(total.textContent.replace(/[^0-9]/g, ''), 10)]);
                        if (window.benchRenders.length > 20000) window.benchRenders.splice(0, 10000);
                      }).observe(total, { characterData: true, childList: true, subtree: true });
                    }
                    """);
                lock (opened)
                    opened.Add(warRoom);
            }
            finally
            {
                gate.Release();
            }
        }));
        return opened;
    }

    /// <summary>How many times the feed total has changed on the page since it was opened.</summary>
    public Task<int> UpdatesAsync() => page.EvaluateAsync<int>("window.benchUpdates");

    /// <summary>Every (time in ms since the epoch, feed total) the page rendered at or after <paramref name="sinceMs"/>.</summary>
    public async Task<IReadOnlyList<(double AtMs, long Total)>> RendersSinceAsync(double sinceMs)
    {
        var renders = await page.EvaluateAsync<double[][]>("since => window.benchRenders.filter(r => r[0] >= since)", sinceMs);
        return renders.Select(r => (r[0], (long)r[1])).ToList();
    }

    public async Task<long> FeedTotalAsync() =>
        long.Parse(await page.Locator("[data-testid=feed-total]").InnerTextAsync(), CultureInfo.InvariantCulture);

    /// <summary>Fails unless the circuit is still connected and the feed total has grown since <paramref name="before"/>.</summary>
    public async Task CheckLiveAsync(long before)
    {
        if (!await page.Locator("#components-reconnect-modal .circuit-connected").IsVisibleAsync())
            throw new BenchFailure($"a war-room circuit is no longer connected: {await page.Locator("#components-reconnect-modal").EvaluateAsync<string>("e => e.outerHTML")}");
        await WaitForGrowthAsync(before);
    }

    public async Task CloseAsync()
    {
        // Navigating away unloads the page, and Blazor tells the server to end the circuit at once.
        await page.GotoAsync("about:blank");
        await context.CloseAsync();
    }

    private async Task WaitForCircuitAsync()
    {
        try
        {
            await page.Locator("#components-reconnect-modal .circuit-connected").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        }
        catch (TimeoutException)
        {
            throw new BenchFailure($"a war-room circuit did not connect: {await page.Locator("#components-reconnect-modal").EvaluateAsync<string>("e => e.outerHTML")}");
        }
    }

    private async Task WaitForGrowthAsync(long before)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await FeedTotalAsync() <= before)
        {
            if (DateTime.UtcNow > deadline)
                throw new BenchFailure(before >= ReplayPosts
                    ? $"the replay ran out ({ReplayPosts:N0} posts) before the last phase: the pages took longer to open than planned"
                    : $"a war room's feed total stayed at {before} for a minute: its updates are not arriving");
            await Task.Delay(250);
        }
    }
}
