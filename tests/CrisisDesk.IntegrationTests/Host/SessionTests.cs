using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// A session counts only while the server says so: sign-out, a role change, a disabled account and a new password end
/// it at once, a replayed cookie included, and the role used for reads is the account's now, not the cookie's.
/// </summary>
public sealed class SessionTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static readonly ClaimsPrincipal Admin = CrisisDeskFactory.Admin;

    private UserAccounts Accounts => app.Services.GetRequiredService<UserAccounts>();

    /// <summary>Signs in and returns the auth cookie as a browser would send it back, to replay it later.</summary>
    private async Task<string> SignInForCookieAsync(string userName, string password)
    {
        var response = await CrisisDeskFactory.SignInAsync(app.NewClient(), userName, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("crisisdesk.auth=", StringComparison.Ordinal));
    }

    private async Task<HttpStatusCode> GetWithCookieAsync(string cookie, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return (await app.NewClient().SendAsync(request)).StatusCode;
    }

    private async Task<int> UserIdAsync(string userName)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT id FROM users WHERE user_name = @userName", new { userName });
    }

    private static async Task<HttpStatusCode> EventuallyAsync(Func<Task<HttpStatusCode>> read, HttpStatusCode expected)
    {
        var last = HttpStatusCode.OK;
        for (var i = 0; i < 50 && (last = await read()) != expected; i++)
            await Task.Delay(100);
        return last;
    }

    [Fact]
    public async Task A_cookie_replayed_after_sign_out_is_refused()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var cookie = await SignInForCookieAsync(viewer, password);
        Assert.Equal(HttpStatusCode.OK, await GetWithCookieAsync(cookie, "/api/incidents"));

        using var logout = new HttpRequestMessage(HttpMethod.Post, "/account/logout");
        logout.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.Redirect, (await app.NewClient().SendAsync(logout)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithCookieAsync(cookie, "/api/incidents"));
        var page = await app.NewClient().SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Cookie", cookie } } });
        Assert.StartsWith("/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_demoted_approver_can_no_longer_read_the_audit_log()
    {
        var (approver, password) = await app.CreateUserAsync(Roles.Approver);
        var client = await app.SignedInClientAsync(approver, password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/audit")).StatusCode);

        await Accounts.ChangeRoleAsync(Admin, await UserIdAsync(approver), Roles.Viewer);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/audit")).StatusCode);
        // Signed in again, the role is the new one.
        var again = await app.SignedInClientAsync(approver, password);
        Assert.Equal(HttpStatusCode.Forbidden, (await again.GetAsync("/api/audit")).StatusCode);
    }

    [Fact]
    public async Task Reads_use_the_role_the_account_has_now_not_the_one_in_the_cookie()
    {
        var (approver, password) = await app.CreateUserAsync(Roles.Approver);
        var client = await app.SignedInClientAsync(approver, password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/audit")).StatusCode);

        // Changed behind the application's back (another instance, a script): no revocation, only the account row.
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE users SET role = 'Viewer' WHERE user_name = @approver", new { approver });

        Assert.Equal(HttpStatusCode.Forbidden, await EventuallyAsync(async () => (await client.GetAsync("/api/audit")).StatusCode, HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task A_disabled_viewer_can_no_longer_export_data()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/review/incidents/1/data.csv?table=posts")).StatusCode);

        await Accounts.SetDisabledAsync(Admin, await UserIdAsync(viewer), disabled: true);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/review/incidents/1/data.csv?table=posts")).StatusCode);
    }

    [Fact]
    public async Task A_password_change_ends_the_other_sessions_and_keeps_this_one()
    {
        var (op, password) = await app.CreateUserAsync(Roles.Operator);
        var here = await app.SignedInClientAsync(op, password);
        var elsewhere = await app.SignedInClientAsync(op, password);

        var changed = await here.PostAsJsonAsync("/account/password", new { currentPassword = password, newPassword = "river bank lantern quiet" });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/api/incidents")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.GetAsync("/api/incidents")).StatusCode);
        Assert.Contains("failed", (await CrisisDeskFactory.SignInAsync(app.NewClient(), op, password)).Headers.Location!.OriginalString, StringComparison.Ordinal);
        await app.SignedInClientAsync(op, "river bank lantern quiet");
    }

    [Fact]
    public async Task A_password_change_needs_the_current_password_and_a_good_new_one()
    {
        var (op, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(op, password);

        var wrong = await client.PostAsJsonAsync("/account/password", new { currentPassword = "not-my-password", newPassword = "river bank lantern quiet" });
        var weak = await client.PostAsJsonAsync("/account/password", new { currentPassword = password, newPassword = "aaaaaaaaaaaa" });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("current password", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        await app.SignedInClientAsync(op, password);
    }

    [Fact]
    public async Task The_open_circuit_of_a_disabled_user_is_signed_out_at_once()
    {
        var (viewer, _) = await app.CreateUserAsync(Roles.Viewer);
        var userId = await UserIdAsync(viewer);
        var sessions = app.Services.GetRequiredService<SessionStore>();
        var token = await sessions.CreateAsync(userId, null, CancellationToken.None);
        var live = await sessions.FindAsync(token, CancellationToken.None);
        // A circuit's own scope: its authentication state provider and its circuit handler, as Blazor builds them.
        await using var scope = app.Services.CreateAsyncScope();
        var provider = (SessionAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>();
        provider.SetAuthenticationState(Task.FromResult(new Microsoft.AspNetCore.Components.Authorization.AuthenticationState(
            UserAccounts.Principal(live!, token, "Cookies"))));
        var handler = scope.ServiceProvider.GetServices<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>().OfType<SessionCircuitHandler>().Single();
        await handler.OnCircuitOpenedAsync(null!, CancellationToken.None);
        var signedOut = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.AuthenticationStateChanged += async state => signedOut.TrySetResult((await state).User.Identity?.IsAuthenticated != true);

        await Accounts.SetDisabledAsync(Admin, userId, disabled: true);

        // Well within the ten-second revalidation interval: the revocation reached the circuit itself.
        Assert.True(await signedOut.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await handler.OnCircuitClosedAsync(null!, CancellationToken.None);
    }
}
