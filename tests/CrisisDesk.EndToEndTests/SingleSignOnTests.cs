using System.Net;
using System.Net.Sockets;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// One CrisisDesk for the whole <see cref="SingleSignOnTests"/> class (its tests use different people, so they do not
/// interfere), configured for single sign-on against the in-test OpenID Connect provider. CrisisDesk listens on
/// <c>localhost</c> and the provider on <c>127.0.0.1</c>: two sites, so the browser treats the redirects between them
/// as cross-site, as it would between CrisisDesk and a real provider (the SameSite=Strict sign-in cookie included).
/// </summary>
public sealed class SingleSignOnApp : IAsyncLifetime
{
    public const string ClientId = "crisisdesk-e2e";
    public const string ClientSecret = "fake-provider-e2e-client-secret-77c2";
    public const string ProviderName = "Contoso ID";
    public const string AdminPassword = "end-to-end-admin-password";

    public FakeOidcProvider Provider { get; private set; } = default!;

    public TestDatabase Database { get; private set; } = default!;

    public AppProcess App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Provider = await FakeOidcProvider.StartAsync(ClientId, ClientSecret);
        Database = await TestDatabase.CreateMigratedAsync();
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        App = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:CrisisDesk"] = Database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
            ["CrisisDesk:Login:AttemptsPerMinute"] = "1000",
            ["CrisisDesk:Network:AllowedHosts"] = "127.0.0.1",
            // The fake provider speaks plain http on loopback; CrisisDesk refuses that unless told it is a test.
            ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
            ["CrisisDesk:Oidc:Authority"] = Provider.Issuer,
            ["CrisisDesk:Oidc:ClientId"] = ClientId,
            ["CrisisDesk:Oidc:ClientSecret"] = "Oidc:ClientSecret",
            ["CrisisDesk:Secrets:Oidc:ClientSecret"] = ClientSecret,
            ["CrisisDesk:Oidc:RoleClaim"] = "groups",
            ["CrisisDesk:Oidc:RoleMap:crisis-viewers"] = "Viewer",
            ["CrisisDesk:Oidc:RoleMap:crisis-operators"] = "Operator",
            ["CrisisDesk:Oidc:RoleMap:crisis-approvers"] = "Approver",
            ["CrisisDesk:Oidc:RoleMap:crisis-admins"] = "Admin",
            ["CrisisDesk:Oidc:DisplayName"] = ProviderName,
        }, nameof(SingleSignOnTests), baseAddress: new Uri($"http://localhost:{port}"));
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
            await App.DisposeAsync();
        if (Database is not null)
            await Database.DisposeAsync();
        if (Provider is not null)
            await Provider.DisposeAsync();
    }
}

/// <summary>
/// Single sign-on in Chromium through the real redirects: the sign-in page's button, the provider's authorize endpoint
/// (PKCE), the callback, the role from the provider's groups, the account provisioned and recorded; sign-out through the
/// provider's end-session endpoint, ending both sessions; tokens that fail their checks signing nobody in; the local
/// form beside it for break-glass.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SingleSignOnTests(BrowserFixture browser, SingleSignOnApp app) : IClassFixture<SingleSignOnApp>, IAsyncLifetime
{
    private readonly List<IPage> _pages = [];

    private FakeOidcProvider Provider => app.Provider;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// Each test's people close their browsers when it ends: an open page keeps its circuit, which would hold the
    /// shared server's graceful stop and go on retrying it from the browser every later test shares.
    /// </summary>
    public async Task DisposeAsync()
    {
        foreach (var page in _pages)
        {
            try
            {
                await page.Context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // Already closed.
            }
        }
        _pages.Clear();
    }

    /// <summary>A page in a browser context of its own (another person), closed when the test ends.</summary>
    private async Task<IPage> NewPageAsync()
    {
        var page = await browser.NewPageAsync(AppAddress);
        _pages.Add(page);
        return page;
    }

    private Uri AppAddress => app.App.BaseAddress;

    private static OidcPerson Person(params string[] groups)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return new OidcPerson($"sub-{id}", $"sso.{id}", $"Sso Person {id}", groups);
    }

    /// <summary>Every top-level navigation the page makes (redirects included), in order.</summary>
    private static List<string> TrailOf(IPage page)
    {
        var trail = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.IsNavigationRequest && request.Frame == page.MainFrame)
            {
                lock (trail)
                    trail.Add(request.Url);
            }
        };
        return trail;
    }

    private static string[] Snapshot(List<string> trail)
    {
        lock (trail)
            return [.. trail];
    }

    /// <summary>Opens the sign-in page and clicks "Sign in with Contoso ID", as a person would.</summary>
    private async Task ClickProviderButtonAsync(IPage page, OidcPerson person, IdTokenFlaw flaw = IdTokenFlaw.None, string? returnUrl = null)
    {
        Provider.NextPerson = person;
        Provider.NextFlaw = flaw;
        await page.GotoAsync("/login" + (returnUrl is null ? "" : $"?returnUrl={Uri.EscapeDataString(returnUrl)}"));
        await page.GetByTestId("sso-sign-in").ClickAsync();
    }

    private async Task<string?> CookieAsync(IBrowserContext context, Uri site, string name) =>
        (await context.CookiesAsync([site.ToString()])).FirstOrDefault(c => c.Name == name)?.Value;

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, args))!;
    }

    private async Task<IPage> SignedInAdminAsync()
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", SingleSignOnApp.AdminPassword);
        return admin;
    }

    [Fact]
    public async Task An_approver_signs_in_through_the_providers_redirect_is_provisioned_and_recorded()
    {
        var person = Person("staff", "crisis-approvers");
        var page = await NewPageAsync();
        var trail = TrailOf(page);

        await ClickProviderButtonAsync(page, person, returnUrl: "/approvals");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/approvals");
        await page.WaitForCircuitAsync();

        // Signed in as an Approver: the inbox itself, not the "only Approvers" notice, and the menu says who and what.
        await page.GetByTestId("approvals-empty").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("approvals-not-approver").CountAsync());
        await page.GetByTestId("user-menu").ClickAsync();
        await Assertions.Expect(page.GetByTestId("user-role")).ToHaveTextAsync("Approver");
        await Assertions.Expect(page.GetByTestId("user-name")).ToHaveTextAsync(person.Name);

        // The browser really went to the provider and back: the challenge, authorize with PKCE, the callback.
        var steps = Snapshot(trail);
        var sso = Array.FindIndex(steps, u => u.StartsWith($"{AppAddress}account/sso", StringComparison.Ordinal));
        var authorize = Array.FindIndex(steps, u => u.StartsWith($"{Provider.Issuer}/authorize?", StringComparison.Ordinal));
        var callback = Array.FindIndex(steps, u => u.StartsWith($"{AppAddress}signin-oidc?", StringComparison.Ordinal));
        Assert.True(sso >= 0 && authorize > sso && callback > authorize, "the navigations were:\n" + string.Join('\n', steps));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(steps[authorize]).Query);
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Equal($"{AppAddress}signin-oidc", query["redirect_uri"].ToString());
        Assert.False(query.ContainsKey("client_secret"));
        Assert.Contains(Provider.AcceptedTokenRequests, r => r.TryGetValue("code_verifier", out var v) && v.Length >= 43);

        // The first sign-in made the account: an admin (signed in locally) sees it with its role, and the audit log has it.
        var admin = await SignedInAdminAsync();
        await admin.GotoAsync("/admin/users");
        await admin.WaitForCircuitAsync();
        var row = admin.GetByTestId("users-table").Locator("tr").Filter(new() { Has = admin.GetByTestId("user-name").GetByText(person.UserName, new() { Exact = true }) });
        await Assertions.Expect(row.GetByTestId("role-chip")).ToHaveAttributeAsync("data-role", "Approver");
        await Assertions.Expect(row).ToContainTextAsync(person.Name);

        await admin.GotoAsync("/admin/audit");
        await admin.WaitForCircuitAsync();
        var signedIn = admin.Locator("tr").Filter(new() { HasText = person.UserName }).Filter(new() { Has = admin.Locator("[data-action='account.sso-signed-in']") });
        await Assertions.Expect(signedIn).ToHaveCountAsync(1);
        await Assertions.Expect(signedIn).ToContainTextAsync("Signed in with single sign-on");
        var provisioned = admin.Locator("tr").Filter(new() { HasText = person.UserName }).Filter(new() { Has = admin.Locator("[data-action='user.sso-provisioned']") });
        await Assertions.Expect(provisioned).ToHaveCountAsync(1);
        Assert.Equal(1L, await ScalarAsync<long>(
            "SELECT count(*) FROM events WHERE action = 'user.sso-provisioned' AND payload->>'userName' = @userName AND payload->>'role' = 'Approver'", new { userName = person.UserName }));
    }

    [Fact]
    public async Task A_viewer_from_the_provider_does_not_get_the_approvals_page()
    {
        var person = Person("crisis-viewers");
        var page = await NewPageAsync();

        await ClickProviderButtonAsync(page, person, returnUrl: "/approvals");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/approvals");
        await page.WaitForCircuitAsync();

        await page.GetByTestId("approvals-not-approver").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("approvals-empty").CountAsync());
        Assert.Equal(0, await page.GetByTestId("nav-approvals").CountAsync());
        await page.GetByTestId("user-menu").ClickAsync();
        await Assertions.Expect(page.GetByTestId("user-role")).ToHaveTextAsync("Viewer");
        // The server says the same as the page: the audit API, like approving, is for Approvers and above.
        Assert.Equal(403, (await page.Context.APIRequest.GetAsync("/api/audit")).Status);
        Assert.Equal("Viewer", await ScalarAsync<string>("SELECT role FROM users WHERE external_subject = @subject", new { subject = person.Subject }));
    }

    [Fact]
    public async Task Sign_out_from_the_user_menu_ends_the_session_here_and_at_the_provider()
    {
        var person = Person("crisis-operators");
        var page = await NewPageAsync();
        await ClickProviderButtonAsync(page, person);
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        // An open page with a live circuit, as a person signing out has.
        await page.WaitForCircuitAsync();
        var appCookie = await CookieAsync(page.Context, AppAddress, "crisisdesk.auth");
        var providerSession = await CookieAsync(page.Context, new Uri(Provider.Issuer), FakeOidcProvider.SessionCookie);
        Assert.NotNull(appCookie);
        Assert.NotNull(providerSession);
        Assert.Equal(person.Subject, Provider.ActiveSessions.GetValueOrDefault(providerSession));
        var endSessions = Provider.EndSessionRequests.Count;
        var trail = TrailOf(page);

        await page.GetByTestId("user-menu").ClickAsync();
        await page.GetByTestId("sign-out").ClickAsync();

        // Through the provider's end-session endpoint and back to the sign-in page, which says both sessions ended.
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");
        var steps = Snapshot(trail);
        Assert.True(steps.Any(u => u.StartsWith($"{Provider.Issuer}/logout?", StringComparison.Ordinal)),
            $"the browser did not pass through the provider's end-session endpoint; it went to {page.Url}; the navigations were:\n" + string.Join('\n', steps));
        Assert.Contains(steps, u => u.StartsWith($"{AppAddress}signout-callback-oidc?", StringComparison.Ordinal));
        Assert.True($"{AppAddress}login?signedOut=1" == page.Url, $"the sign-out ended at {page.Url}; the navigations were:\n" + string.Join('\n', steps));
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "You are signed out" }))
            .ToHaveTextAsync($"You are signed out, here and at {SingleSignOnApp.ProviderName}.");

        // The provider's session is gone: it was told (with the id token as the hint) and its cookie is deleted.
        Assert.Equal(endSessions + 1, Provider.EndSessionRequests.Count);
        var hint = Provider.EndSessionRequests.Last()["id_token_hint"];
        Assert.Equal(person.Subject, FakeOidcProvider.ReadPayload(hint).GetProperty("sub").GetString());
        Assert.False(Provider.ActiveSessions.ContainsKey(providerSession), "the provider's session survived the sign-out");
        Assert.Null(await CookieAsync(page.Context, new Uri(Provider.Issuer), FakeOidcProvider.SessionCookie));

        // CrisisDesk's session is revoked: a page opened now asks to sign in, and the old cookie replayed is refused.
        Assert.Null(await CookieAsync(page.Context, AppAddress, "crisisdesk.auth"));
        await page.GotoAsync("/approvals");
        Assert.StartsWith($"{AppAddress}login?returnUrl=", page.Url, StringComparison.OrdinalIgnoreCase);
        var replay = await browser.Browser.NewContextAsync(new() { BaseURL = AppAddress.ToString() });
        await replay.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "crisisdesk.auth", Value = appCookie, Url = AppAddress.ToString() }]);
        Assert.Equal(401, (await replay.APIRequest.GetAsync("/api/incidents")).Status);
        var replayed = await replay.NewPageAsync();
        _pages.Add(replayed);
        await replayed.GotoAsync("/");
        Assert.StartsWith($"{AppAddress}login", replayed.Url, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM events WHERE action = 'account.signed-out' AND actor = @actor", new { actor = person.UserName }));
    }

    [Theory]
    [InlineData(IdTokenFlaw.WrongSignature)]
    [InlineData(IdTokenFlaw.WrongAudience)]
    [InlineData(IdTokenFlaw.WrongNonce)]
    public async Task A_token_that_fails_its_checks_shows_a_clear_error_and_signs_nobody_in(IdTokenFlaw flaw)
    {
        var person = Person("crisis-admins");
        var refused = await ScalarAsync<long>("SELECT count(*) FROM events WHERE action = 'account.sso-sign-in-refused'");
        var page = await NewPageAsync();

        await ClickProviderButtonAsync(page, person, flaw);
        await page.WaitForURLAsync(url => new Uri(url).PathAndQuery == "/login?sso=token");

        await Assertions.Expect(page.GetByTestId("sso-error")).ToContainTextAsync(
            $"The answer from {SingleSignOnApp.ProviderName} failed its checks (signature, audience, nonce, issuer or expiry), so nobody was signed in.");
        Assert.Null(await CookieAsync(page.Context, AppAddress, "crisisdesk.auth"));
        await page.GotoAsync("/");
        Assert.StartsWith($"{AppAddress}login", page.Url, StringComparison.Ordinal);
        Assert.Equal(401, (await page.Context.APIRequest.GetAsync("/api/incidents")).Status);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM users WHERE external_subject = @subject OR user_name = @userName", new { subject = person.Subject, userName = person.UserName }));
        Assert.Equal(refused + 1, await ScalarAsync<long>("SELECT count(*) FROM events WHERE action = 'account.sso-sign-in-refused'"));
    }

    [Fact]
    public async Task The_local_form_beside_the_provider_still_signs_in_and_out_for_break_glass()
    {
        var page = await NewPageAsync();
        var endSessions = Provider.EndSessionRequests.Count;
        var trail = TrailOf(page);
        await page.GotoAsync("/login");
        await Assertions.Expect(page.GetByTestId("sso-sign-in")).ToBeVisibleAsync();

        await page.SignInAsync("admin", SingleSignOnApp.AdminPassword);
        await page.WaitForCircuitAsync();
        await page.GetByTestId("user-menu").ClickAsync();
        await Assertions.Expect(page.GetByTestId("user-role")).ToHaveTextAsync("Admin");

        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");
        // A local account's sign-out has nothing to end at the provider.
        Assert.Equal($"{AppAddress}login", page.Url);
        Assert.Equal(endSessions, Provider.EndSessionRequests.Count);
        Assert.DoesNotContain(Snapshot(trail), u => u.StartsWith(Provider.Issuer, StringComparison.Ordinal));
        Assert.Null(await CookieAsync(page.Context, AppAddress, "crisisdesk.auth"));
    }

    [Fact]
    public async Task The_sign_in_page_with_the_provider_fits_a_desktop_and_a_phone()
    {
        var page = await NewPageAsync();
        foreach (var (width, height, query, name) in new[]
                 {
                     (1440, 900, "", "sign-in-sso-1440x900"),
                     (390, 844, "", "sign-in-sso-390x844"),
                     (390, 844, "?sso=token", "sign-in-sso-error-390x844"),
                     (390, 844, "?signedOut=1", "sign-in-sso-signed-out-390x844"),
                 })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.GotoAsync("/login" + query);
            var button = page.GetByTestId("sso-sign-in");
            await Assertions.Expect(button).ToHaveTextAsync($"Sign in with {SingleSignOnApp.ProviderName}");
            await page.AssertNoHorizontalScrollAsync($"the sign-in page at {width}px");
            await page.AssertNoSeriousAxeViolationsAsync($"the sign-in page at {width}px{query}");
            // The provider's button, the local form's fields and its Sign in button are whole within the window's width.
            foreach (var control in new[] { button, page.Locator("#userName"), page.Locator("#password"), page.Locator("form.login-form button[type=submit]") })
            {
                var box = (await control.BoundingBoxAsync())!;
                Assert.True(box.X >= 0 && box.X + box.Width <= width, $"a control at {box.X}..{box.X + box.Width} sticks out of the {width}px window");
            }
            await page.ScreenshotAsync(name);
        }

        // The provider's name is the organisation's to choose: a long one wraps inside the button, it is not cut off.
        const string LongName = "Riverside County Council Emergency Management Identity Service (Staff-Single-Sign-On-Gateway)";
        await page.GetByTestId("sso-sign-in").Locator(".mud-button-label").EvaluateAsync(
            "(label, name) => label.lastChild.textContent = 'Sign in with ' + name", LongName);
        await page.AssertNoHorizontalScrollAsync("the sign-in page at 390px with a long provider name");
        var longButton = (await page.GetByTestId("sso-sign-in").BoundingBoxAsync())!;
        var card = (await page.Locator(".login-card").BoundingBoxAsync())!;
        Assert.True(longButton.X >= card.X && longButton.X + longButton.Width <= card.X + card.Width,
            $"the button at {longButton.X}..{longButton.X + longButton.Width} sticks out of its card at {card.X}..{card.X + card.Width}");
        var clipped = await page.GetByTestId("sso-sign-in").EvaluateAsync<bool>(
            "b => [...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1) || b.scrollWidth > b.clientWidth + 1");
        Assert.False(clipped, "the long provider name is clipped inside its button");
        await page.ScreenshotAsync("sign-in-sso-long-name-390x844");
    }
}
