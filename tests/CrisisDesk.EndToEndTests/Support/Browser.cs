using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests.Support;

/// <summary>
/// One headless Debian Chromium for the whole test run, driven by Playwright (whose own browser download cannot work
/// here). Each test takes fresh, isolated contexts from it.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}: run ./test.sh, which installs it (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>A new browser context (its own cookies: a second person) with one page.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

public static class PageActions
{
    /// <summary>What a script sends with every state-changing API call (README, Security): not a cross-site form.</summary>
    public static readonly Dictionary<string, string> ScriptHeaders = new() { ["X-CrisisDesk-Request"] = "1" };

    /// <summary>Signs in through the real form and waits to land on the incidents page.</summary>
    public static async Task SignInAsync(this IPage page, string userName, string password)
    {
        await page.GotoAsync("/login");
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        try
        {
            await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        }
        catch (TimeoutException e)
        {
            // Still on a sign-in address: say which, and what the page says (a refusal, a 429, a 400), not only "timeout".
            var text = await page.EvaluateAsync<string>("() => document.body ? document.body.innerText : ''");
            throw new TimeoutException($"{userName} was not signed in: the page is {page.Url}, saying: {text.Trim()[..Math.Min(text.Trim().Length, 400)]}", e);
        }
    }

    /// <summary>Adds a user through the admin's Users page (its "Add a user" dialog), as an admin would, and waits for the confirmation.</summary>
    public static async Task AddUserAsync(this IPage admin, string userName, string displayName, string role, string password)
    {
        await admin.GotoAsync("/admin/users");
        await admin.WaitForCircuitAsync();
        await admin.GetByTestId("add-user").ClickAsync();
        var dialog = admin.Locator(".mud-dialog");
        await dialog.Locator("#new-user-name").FillAsync(userName);
        await dialog.Locator("#new-user-display").FillAsync(displayName);
        await dialog.GetByTestId($"new-user-role-{role.ToLowerInvariant()}").ClickAsync();
        await dialog.Locator("#new-user-password").FillAsync(password);
        await dialog.GetByTestId("new-user-submit").ClickAsync();
        await admin.GetByText($"Added {userName} as {role}.").WaitForAsync();
    }

    /// <summary>Waits until the circuit is up (the connection badge says Connected).</summary>
    public static async Task WaitForCircuitAsync(this IPage page)
    {
        try
        {
            await page.Locator("#components-reconnect-modal .circuit-connected").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        }
        catch (TimeoutException e)
        {
            var badge = await page.Locator("#components-reconnect-modal").EvaluateAsync<string>("e => e.outerHTML").ConfigureAwait(false);
            throw new TimeoutException($"The circuit did not connect on {page.Url}; the badge is {badge}", e);
        }
    }

    /// <summary>The feed's post count as shown.</summary>
    public static async Task<long> FeedTotalAsync(this IPage page) =>
        long.Parse(await page.Locator("[data-testid=feed-total]").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits for the feed total shown on <paramref name="page"/> to satisfy <paramref name="condition"/>. When it does not,
    /// the failure says whether the page's circuit was still up and what the server's sources had stored, which tells a
    /// stalled page from a stalled ingest.
    /// </summary>
    public static async Task<long> FeedTotalEventuallyAsync(this IPage page, Func<long, bool> condition, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await EventuallyAsync(page.FeedTotalAsync, condition, what, timeout);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            var badge = await page.Locator("#components-reconnect-modal").EvaluateAsync<string>("e => e.className + ': ' + e.innerText").ConfigureAwait(false);
            var health = await page.APIRequest.GetAsync("/healthz/detail").ConfigureAwait(false);
            throw new Xunit.Sdk.XunitException($"{e.Message}\nconnection badge: {badge}\n/healthz/detail: {await health.TextAsync().ConfigureAwait(false)}");
        }
    }

    /// <summary>Polls the page until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        T value;
        do
        {
            value = await read();
            if (condition(value))
                return value;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}; last value: {value}");
    }
}
