using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The connection chip and what the page does with each of .NET 10's reconnection states, against a real server that is
/// killed, restarted or asked to pause; and the .NET 10 host features the shell adopted (NotFoundPage, the framework
/// script's preload).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConnectionTests(BrowserFixture browser) : AppTests(browser)
{
    private AppProcess? _restarted;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "1000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.2",
    };

    private static ILocator Chip(IPage page, string state) => page.Locator($"#components-reconnect-modal .connection-chip .circuit-{state}");

    [Fact]
    public async Task A_stopped_server_shows_reconnecting_with_the_attempt_then_offline_with_the_page_dimmed_and_retry()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.WaitForCircuitAsync();

        await App.KillAsync();

        await Chip(page, "reconnecting").WaitForAsync();
        Assert.False(await Chip(page, "connected").IsVisibleAsync());
        Assert.Matches(@"^\d+$", await page.Locator("#components-reconnect-current-attempt").InnerTextAsync());

        await Chip(page, "offline").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        Assert.False(await Chip(page, "reconnecting").IsVisibleAsync());
        Assert.False(await Chip(page, "connected").IsVisibleAsync());
        // Dimmed and inert: the page's own controls cannot be used; Retry can.
        Assert.True(await page.Locator(".connection-overlay").IsVisibleAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.querySelector('.mud-layout').closest('[inert]') !== null"));
        var retry = page.GetByRole(AriaRole.Button, new() { Name = "Retry" });
        await retry.ClickAsync();
        await page.GetByTestId("connection-note").Filter(new() { HasTextString = "Still offline" }).WaitForAsync();
        Assert.True(await Chip(page, "offline").IsVisibleAsync());
    }

    [Fact]
    public async Task After_a_restart_an_offline_page_comes_back_by_itself()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.WaitForCircuitAsync();
        await App.KillAsync();
        await Chip(page, "offline").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });

        // The same address and database, a new process: the old circuit is gone, so the page reloads itself.
        _restarted = await AppProcess.StartAsync(new Dictionary<string, string>(Settings)
        {
            ["ConnectionStrings:CrisisDesk"] = Database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
        }, $"{nameof(ConnectionTests)}-restarted", baseAddress: App.BaseAddress);

        await Chip(page, "connected").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        Assert.EndsWith("/", page.Url, StringComparison.Ordinal);
        Assert.False(await page.EvaluateAsync<bool>("() => document.querySelector('.mud-layout').closest('[inert]') !== null"));
    }

    [Fact]
    public async Task Stopped_with_pages_open_the_server_ends_at_once_instead_of_waiting_out_the_shutdown_timeout()
    {
        var operators = new[] { await NewPageAsync(), await NewPageAsync() };
        foreach (var page in operators)
        {
            await page.SignInAsync("admin", AdminPassword);
            await page.WaitForCircuitAsync();
        }

        // The host gives its services 30 s to stop. An open circuit's reconnect, arriving while SignalR closes its
        // connections, used to hold Kestrel's graceful stop for all of it (dotnet/aspnetcore#58947): a restart hung.
        int exitCode;
        try
        {
            exitCode = await App.StopAsync(TimeSpan.FromSeconds(15));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("The server was still running 15 s after SIGTERM with two pages open: its graceful stop waited for their circuits.");
            throw;
        }
        Assert.Equal(0, exitCode);
        // And the pages say so: the reconnecting badge (or already offline).
        await Chip(operators[0], "reconnecting").Or(Chip(operators[0], "offline")).First.WaitForAsync();
    }

    [Fact]
    public async Task A_paused_circuit_resumes_on_the_same_page_with_what_was_typed()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.WaitForCircuitAsync();
        var name = page.Locator("#incident-name");
        await name.FillAsync("Half-typed incident");
        await name.BlurAsync();
        // The server has the value once it re-renders the field as filled (its label moves up).
        await page.Locator(".mud-input.mud-shrink:has(#incident-name)").WaitForAsync();

        Assert.True(await page.EvaluateAsync<bool>("() => Blazor.pauseCircuit()"));
        await Chip(page, "paused").WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();

        await Chip(page, "connected").WaitForAsync();
        Assert.EndsWith("/", page.Url, StringComparison.Ordinal);
        // The form's draft is [PersistentState]: restored from the paused circuit's persisted state.
        await Assertions.Expect(page.Locator("#incident-name")).ToHaveValueAsync("Half-typed incident");
    }

    [Fact]
    public async Task An_unknown_address_answers_404_with_the_not_found_page_and_apis_keep_a_bare_404()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);

        var response = await page.GotoAsync("/no/such/page");
        Assert.Equal(404, response!.Status);
        await page.GetByTestId("not-found").WaitForAsync();
        Assert.Contains("This page does not exist", await page.GetByTestId("not-found").InnerTextAsync(), StringComparison.Ordinal);
        await page.AssertNoSeriousAxeViolationsAsync("the not-found page");

        var api = await page.Context.APIRequest.GetAsync("/api/no-such-thing");
        Assert.Equal(404, api.Status);
        Assert.DoesNotContain("This page does not exist", await api.TextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_preload_the_framework_script()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        var response = await page.Context.APIRequest.GetAsync("/", new() { Headers = new Dictionary<string, string> { ["Accept"] = "text/html" } });
        var html = await response.TextAsync();
        var linkHeader = response.Headers.TryGetValue("link", out var link) ? link : "";

        var preloads = System.Text.RegularExpressions.Regex.Matches(html, "<link[^>]*rel=\"(?:modulepreload|preload)\"[^>]*>").Select(m => m.Value).ToList();
        Assert.True(preloads.Any(l => l.Contains("blazor.web", StringComparison.Ordinal)) || linkHeader.Contains("blazor.web", StringComparison.Ordinal),
            $"no preload of blazor.web.js; link header: '{linkHeader}', preload links: {string.Join(" ", preloads)}");
    }

    public override async Task DisposeAsync()
    {
        await ClosePagesAsync();
        if (_restarted is not null)
            await _restarted.DisposeAsync();
        await base.DisposeAsync();
    }
}
