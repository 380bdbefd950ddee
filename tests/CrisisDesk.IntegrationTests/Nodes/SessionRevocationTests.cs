using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using CrisisDesk.Data.Domain;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Nodes;
using Dapper;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// Two web nodes on one database, each trusting a session it has checked for five seconds (the most the setting allows,
/// so a refusal in under two seconds cannot come from the cache running out): a revocation on one node refuses the
/// cookie and signs out the open page on the other at once; a rolled-back revocation tells nobody; a node whose listener
/// reconnects forgets every session it remembers, since it may have missed a revocation meanwhile.
/// </summary>
public sealed class SessionRevocationTests(TestDatabase database, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    private const string AuthCookie = "crisisdesk.auth=";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>What "at once" means here: well under the five-second cache and the ten-second circuit re-check.</summary>
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(2);

    private static readonly ClaimsPrincipal Admin = CrisisDeskFactory.Admin;

    private static readonly Dictionary<string, string?> LongCache = new()
    {
        ["CrisisDesk:Sessions:CacheFor"] = "00:00:05",
        ["CrisisDesk:Sessions:CircuitRevalidation"] = "00:00:10",
        ["CrisisDesk:Login:AttemptsPerMinute"] = "1000",
    };

    private async Task<(NodeFactory A, NodeFactory B)> TwoNodesAsync()
    {
        var a = new NodeFactory(database.ConnectionString, "web,ingest", LongCache).Start();
        var b = new NodeFactory(database.ConnectionString, "web,ingest", LongCache).Start();
        foreach (var node in new[] { a, b })
        {
            var listener = node.Services.GetRequiredService<ClusterListener>();
            await Eventually.WaitUntilAsync(() => listener.Connects >= 1, "a node's listener to start", Patience);
        }
        return (a, b);
    }

    private static HttpClient Client(NodeFactory node)
    {
        var client = node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("X-CrisisDesk-Request", "1");
        return client;
    }

    private static async Task<(string UserName, int UserId)> UserAsync(NodeFactory node, string role)
    {
        var userName = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}"[..20];
        var created = await node.Services.GetRequiredService<UserAccounts>().CreateAsync(Admin, userName, userName, role, "a-long-enough-password");
        return (userName, created.Id);
    }

    /// <summary>Signs in through node's real form and returns the auth cookie as a browser would send it back.</summary>
    private static async Task<string> SignInForCookieAsync(NodeFactory node, string userName)
    {
        var response = await CrisisDeskFactory.SignInAsync(Client(node), userName, "a-long-enough-password");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith(AuthCookie, StringComparison.Ordinal));
    }

    private static async Task<HttpStatusCode> GetWithCookieAsync(NodeFactory node, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/incidents");
        request.Headers.Add("Cookie", cookie);
        return (await Client(node).SendAsync(request)).StatusCode;
    }

    /// <summary>
    /// An open page on the node for the cookie's session: a circuit's own scope with its authentication state provider
    /// and circuit handler, as Blazor builds them. Completes with true when the page is signed out.
    /// </summary>
    private static async Task<(AsyncServiceScope Scope, SessionCircuitHandler Handler, Task<bool> SignedOut)> OpenPageAsync(NodeFactory node, string cookie)
    {
        var cookies = node.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var ticket = cookies.TicketDataFormat.Unprotect(cookie[AuthCookie.Length..]) ?? throw new InvalidOperationException("The cookie did not open.");
        var token = ticket.Principal.FindFirstValue(SessionStore.TokenClaim)!;
        var live = await node.Services.GetRequiredService<SessionStore>().FindAsync(token, CancellationToken.None)
                   ?? throw new InvalidOperationException("The session is not live.");
        var scope = node.Services.CreateAsyncScope();
        var provider = (SessionAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(UserAccounts.Principal(live, token, CookieAuthenticationDefaults.AuthenticationScheme))));
        var handler = scope.ServiceProvider.GetServices<CircuitHandler>().OfType<SessionCircuitHandler>().Single();
        await handler.OnCircuitOpenedAsync(null!, CancellationToken.None);
        var signedOut = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.AuthenticationStateChanged += async state => signedOut.TrySetResult((await state).User.Identity?.IsAuthenticated != true);
        return (scope, handler, signedOut.Task);
    }

    [Theory]
    [InlineData("signed out")]
    [InlineData("role changed")]
    [InlineData("account disabled")]
    public async Task A_revocation_on_one_node_refuses_the_cookie_and_ends_the_open_page_on_the_other_at_once(string how)
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var (userName, userId) = await UserAsync(a, Roles.Operator);
        var cookie = await SignInForCookieAsync(a, userName);
        Assert.Equal(HttpStatusCode.OK, await GetWithCookieAsync(a, cookie));
        // Checked on node B just now: B trusts the session for the next five seconds unless told otherwise.
        Assert.Equal(HttpStatusCode.OK, await GetWithCookieAsync(b, cookie));
        var (scope, handler, signedOut) = await OpenPageAsync(b, cookie);
        await using var ___ = scope;

        var accounts = a.Services.GetRequiredService<UserAccounts>();
        switch (how)
        {
            case "signed out":
                using (var logout = new HttpRequestMessage(HttpMethod.Post, "/account/logout"))
                {
                    logout.Headers.Add("Cookie", cookie);
                    Assert.Equal(HttpStatusCode.Redirect, (await Client(a).SendAsync(logout)).StatusCode);
                }
                break;
            case "role changed":
                await accounts.ChangeRoleAsync(Admin, userId, Roles.Viewer);
                break;
            case "account disabled":
                await accounts.SetDisabledAsync(Admin, userId, disabled: true);
                break;
        }
        var revoked = Stopwatch.StartNew();

        var status = HttpStatusCode.OK;
        while (revoked.Elapsed < Patience && (status = await GetWithCookieAsync(b, cookie)) == HttpStatusCode.OK)
            await Task.Delay(20);
        var refusedAfter = revoked.Elapsed;
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(refusedAfter < AtOnce, $"Node B refused the cookie {refusedAfter.TotalMilliseconds:F0} ms after the revocation on node A.");

        Assert.True(await signedOut.WaitAsync(Patience));
        output.WriteLine($"{how}: cookie refused on node B after {refusedAfter.TotalMilliseconds:F0} ms, open page signed out after {revoked.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(revoked.Elapsed < AtOnce, $"Node B's open page was signed out {revoked.Elapsed.TotalMilliseconds:F0} ms after the revocation on node A.");
        await handler.OnCircuitClosedAsync(null!, CancellationToken.None);
    }

    [Fact]
    public async Task A_rolled_back_revocation_tells_no_node()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var (_, userId) = await UserAsync(a, Roles.Operator);
        var toldA = 0;
        var toldB = 0;
        a.Services.GetRequiredService<SessionStore>().Revoked += (user, _) => { if (user == userId) Interlocked.Increment(ref toldA); };
        b.Services.GetRequiredService<SessionStore>().Revoked += (user, _) => { if (user == userId) Interlocked.Increment(ref toldB); };
        var sessionsA = a.Services.GetRequiredService<SessionStore>();

        await using (var db = await a.Services.GetRequiredService<IDbContextFactory<CrisisDeskDbContext>>().CreateDbContextAsync())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await sessionsA.RevokeAllAsync(db, userId, "rolled back");
            await transaction.RollbackAsync();
        }
        // The same revocation committed arrives: the rolled-back one would have come before it.
        await using (var db = await a.Services.GetRequiredService<IDbContextFactory<CrisisDeskDbContext>>().CreateDbContextAsync())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await sessionsA.RevokeAllAsync(db, userId, "committed");
            await transaction.CommitAsync();
        }

        await Eventually.WaitUntilAsync(() => Volatile.Read(ref toldB) >= 1, "node B to hear of the committed revocation", Patience);
        await Task.Delay(300);
        Assert.Equal(1, Volatile.Read(ref toldB));
        // Node A's listener skipped its own message (the revoking node forgets by itself after its commit).
        Assert.Equal(0, Volatile.Read(ref toldA));
    }

    [Fact]
    public async Task A_node_whose_listener_reconnects_forgets_every_session_it_remembers_and_rechecks_its_open_pages()
    {
        var (a, b) = await TwoNodesAsync();
        await using var _ = a;
        await using var __ = b;
        var (userName, userId) = await UserAsync(a, Roles.Operator);
        var cookie = await SignInForCookieAsync(a, userName);
        Assert.Equal(HttpStatusCode.OK, await GetWithCookieAsync(b, cookie));
        var (scope, handler, signedOut) = await OpenPageAsync(b, cookie);
        await using var ___ = scope;

        // Revoked behind the nodes' backs, as if the announcement had been sent while B was not listening.
        await using (var connection = await database.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = @userId", new { userId });
        Assert.Equal(HttpStatusCode.OK, await GetWithCookieAsync(b, cookie)); // still remembered: nobody told B
        var listenerB = b.Services.GetRequiredService<ClusterListener>();
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            var cut = await connection.ExecuteScalarAsync<int>("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = @name
                """, new { name = ClusterListener.ApplicationName });
            Assert.Equal(2, cut); // both nodes' listeners
        }
        var cutAt = Stopwatch.StartNew();

        await Eventually.WaitUntilAsync(() => listenerB.Connects >= 2, "node B's listener to come back", Patience);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithCookieAsync(b, cookie));
        Assert.True(await signedOut.WaitAsync(Patience));
        output.WriteLine($"open page signed out {cutAt.Elapsed.TotalMilliseconds:F0} ms after the cut");
        Assert.True(cutAt.Elapsed < TimeSpan.FromSeconds(5), $"Node B's open page was signed out {cutAt.Elapsed.TotalMilliseconds:F0} ms after the cut.");
        await handler.OnCircuitClosedAsync(null!, CancellationToken.None);
    }
}
