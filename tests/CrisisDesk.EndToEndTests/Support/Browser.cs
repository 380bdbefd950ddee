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

    /// <summary>
    /// Signs in through the real form and waits to land on the incidents page. Rarely (about one sign-in in a few hundred,
    /// on a loaded two-core machine, and in CI) the click on Sign in leaves the browser on the form with no request
    /// sent, and the server saw nothing. A person would click again, and so does this, once: what the page showed the
    /// first time (the form's values, whether a submit or an invalid event fired) goes to <c>sign-in-retries.log</c>
    /// beside the servers' logs, which test.sh prints, so the cause stays visible instead of hidden. A refusal (the
    /// page's error, a 429, a 403) is not retried.
    /// </summary>
    public static async Task SignInAsync(this IPage page, string userName, string password)
    {
        await page.GotoAsync("/login");
        var first = await SubmitSignInAsync(page, userName, password, TimeSpan.FromSeconds(15));
        if (first is null)
            return;
        if (!first.StillOnForm)
            throw new TimeoutException($"{userName} was not signed in: {first}");
        await File.AppendAllTextAsync(SignInRetriesLog, $"{DateTime.UtcNow:O} {userName}: the first click left the form: {first}{Environment.NewLine}");
        var second = await SubmitSignInAsync(page, userName, password, TimeSpan.FromSeconds(30));
        if (second is not null)
            throw new TimeoutException($"{userName} was not signed in after a second click: first {first}; then {second}");
    }

    /// <summary>Where <see cref="SignInAsync"/> notes each second click (test.sh shows it).</summary>
    private static string SignInRetriesLog
    {
        get
        {
            var directory = Environment.GetEnvironmentVariable("CRISISDESK_E2E_LOG_DIR") is { Length: > 0 } configured ? configured : Path.GetTempPath();
            Directory.CreateDirectory(directory);
            return Path.Combine(directory, "sign-in-retries.log");
        }
    }

    private sealed record SignInPage(string Url, bool StillOnForm, string State)
    {
        public override string ToString() => $"{Url} ({State})";
    }

    /// <summary>Fills and submits the form; null once the browser has left the sign-in page, else what the page shows.</summary>
    private static async Task<SignInPage?> SubmitSignInAsync(IPage page, string userName, string password, TimeSpan wait)
    {
        // Counts what the click led to in the page itself: a submit, or a field refused by the browser's own checks.
        await page.EvaluateAsync("""
            () => {
              window.__signIn = { submits: 0, invalid: 0 };
              document.addEventListener('submit', () => window.__signIn.submits++, true);
              document.addEventListener('invalid', () => window.__signIn.invalid++, true);
            }
            """);
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        try
        {
            await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal), new() { Timeout = (float)wait.TotalMilliseconds });
            return null;
        }
        catch (TimeoutException)
        {
            var state = await page.EvaluateAsync<string>("""
                () => {
                  const form = document.querySelector('form[action="/account/login"]');
                  const text = document.body ? document.body.innerText.trim().slice(0, 300) : '';
                  const seen = window.__signIn || {};
                  return JSON.stringify({ readyState: document.readyState, form: !!form,
                    userName: document.querySelector('#userName')?.value?.length ?? null,
                    password: document.querySelector('#password')?.value?.length ?? null,
                    submits: seen.submits ?? null, invalid: seen.invalid ?? null, text });
                }
                """);
            var url = new Uri(page.Url);
            var refused = url.AbsolutePath != "/login" || url.Query.Contains("failed=1", StringComparison.Ordinal);
            return new SignInPage(page.Url, !refused, state);
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
