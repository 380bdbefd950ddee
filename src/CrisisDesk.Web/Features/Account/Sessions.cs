using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CrisisDesk.Data.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Account;

public sealed class SignInSessionOptions
{
    public const string Section = "CrisisDesk:Sessions";

    /// <summary>A session ends this long after sign-in, however active (the cookie does not slide).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>A session unused for this long (no request, no open page) ends.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// How long one instance trusts a session it has checked. Revocations reach every instance at once (through
    /// <see cref="Nodes.ClusterSignals"/>); this bounds only what a node could miss while it was not listening.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often an open page (a Blazor circuit) re-checks its session; revocations on any instance end it at once.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CircuitRevalidation { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>A live session and the account behind it, as the database says now.</summary>
public sealed record LiveSession(int UserId, string UserName, string DisplayName, string Role);

/// <summary>
/// Server-side sessions. The cookie carries a random token; the <c>sessions</c> row (keyed by its SHA-256) says whether
/// it still counts, and the account row says who it is and with which role. Every request is checked (with a cache of
/// a couple of seconds), so sign-out, a role change, a disabled account or a new password take effect at once. Every
/// revocation is announced to the other nodes in its own transaction, so they forget the user's sessions at once too.
/// </summary>
public sealed class SessionStore(IDbContextFactory<CrisisDeskDbContext> contexts, IOptions<SignInSessionOptions> options, Nodes.ClusterSignals signals)
{
    /// <summary>The claim holding the session token in the cookie.</summary>
    public const string TokenClaim = "crisisdesk:session";

    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (LiveSession? Session, long CheckedAt)> _checked = new(StringComparer.Ordinal);

    // Moved on by every forgetting, so that a check that read the database before a revocation does not put back
    // afterwards what the revocation made this instance forget.
    private long _forgets;

    /// <summary>
    /// Raised after a user's sessions were revoked, here or on another node, so their open circuits re-check at once: the
    /// user id, and the <see cref="SigningOutPage.Key"/> of the page that is signing out, if one is (it is leaving by
    /// itself).
    /// </summary>
    public event Action<int, string?>? Revoked;

    /// <summary>
    /// Raised when this instance may have missed revocations (its listener to the other nodes reconnected): every open
    /// circuit re-checks its session.
    /// </summary>
    public event Action? RecheckEveryone;

    public async Task<string> CreateAsync(int userId, string? remoteAddress, CancellationToken cancellationToken)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Sessions.Add(new SessionRow { Id = Hash(token), UserId = userId, RemoteAddress = remoteAddress });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    private sealed record SessionCheck(int UserId, string UserName, string DisplayName, string Role, bool Stale);

    // Every request of every signed-in person runs this (past the cache), so it is compiled. DateTime.UtcNow is
    // PostgreSQL's now(): the lifetimes are judged by the database's clock, as the rows were stamped by it.
    private static readonly Func<CrisisDeskDbContext, string, TimeSpan, TimeSpan, TimeSpan, CancellationToken, Task<SessionCheck?>> LiveSessionQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, string id, TimeSpan touchEvery, TimeSpan absolute, TimeSpan idle, CancellationToken _) =>
            db.Sessions.AsNoTracking()
                .Where(s => s.Id == id && s.RevokedAt == null && s.CreatedAt > DateTime.UtcNow - absolute && s.LastSeenAt > DateTime.UtcNow - idle)
                .Join(db.Users.Where(u => !u.Disabled), s => s.UserId, u => u.Id,
                    (s, u) => new SessionCheck(u.Id, u.UserName, u.DisplayName, u.Role, s.LastSeenAt < DateTime.UtcNow - touchEvery))
                .FirstOrDefault());

    /// <summary>The session if it is live and its account enabled; null otherwise.</summary>
    public async Task<LiveSession?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (_checked.TryGetValue(token, out var seen) && now - seen.CheckedAt < options.Value.CacheFor.TotalMilliseconds)
            return seen.Session;
        if (_checked.Count > 10_000)
            _checked.Clear();
        var forgets = Interlocked.Read(ref _forgets);
        var id = Hash(token);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await LiveSessionQuery(db, id, TouchEvery, options.Value.AbsoluteLifetime, options.Value.IdleTimeout, cancellationToken);
        var session = row is null ? null : new LiveSession(row.UserId, row.UserName, row.DisplayName, row.Role);
        if (row is { Stale: true })
            await db.Sessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastSeenAt, r => DateTime.UtcNow), cancellationToken);
        _checked[token] = (session, now);
        if (Interlocked.Read(ref _forgets) != forgets)
            _checked.TryRemove(token, out _);
        return session;
    }

    /// <summary>
    /// Revokes one session. <paramref name="signingOutPage"/> names the open page (its <see cref="SigningOutPage.Key"/>)
    /// whose sign-out this is: its circuit is signed out like the others, but does not navigate to the sign-in page,
    /// since the browser is already following the sign-out's own redirect (to the identity provider's end-session
    /// endpoint, which a navigation of the old page would cancel).
    /// </summary>
    public async Task RevokeAsync(string token, string reason, CancellationToken cancellationToken, string? signingOutPage = null)
    {
        var id = Hash(token);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked, so that of two sign-outs of one session only one revokes it (and announces it).
        var userId = await SessionLocks.LockLiveAsync(db, id, cancellationToken);
        if (userId is { } revoking)
        {
            await db.Sessions.Where(s => s.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, r => DateTime.UtcNow).SetProperty(r => r.RevokedReason, reason), cancellationToken);
            await signals.AnnounceSessionsRevokedAsync(db, revoking, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        Interlocked.Increment(ref _forgets);
        _checked.TryRemove(token, out _);
        if (userId is { } user)
            Revoked?.Invoke(user, signingOutPage);
    }

    /// <summary>
    /// Revokes every live session of a user but <paramref name="keepToken"/>, inside the caller's transaction on
    /// <paramref name="db"/> (so the change that causes it and the revocation commit together), and tells the other
    /// nodes in the same transaction; call <see cref="Forget"/> after the commit.
    /// </summary>
    public async Task<int> RevokeAllAsync(CrisisDeskDbContext db, int userId, string reason, string? keepToken = null, CancellationToken cancellationToken = default)
    {
        var keep = keepToken is null ? null : Hash(keepToken);
        var ended = await db.Sessions
            .Where(s => s.UserId == userId && s.RevokedAt == null && (keep == null || s.Id != keep))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, r => DateTime.UtcNow).SetProperty(r => r.RevokedReason, reason), cancellationToken);
        // Told even when no row changed: the change that called this (a role, a disabled account) matters to the cache too.
        await signals.AnnounceSessionsRevokedAsync(db, userId, cancellationToken);
        return ended;
    }

    /// <summary>Drops what this instance remembers of a user's sessions and tells their open circuits to re-check.</summary>
    public void Forget(int userId)
    {
        Interlocked.Increment(ref _forgets);
        foreach (var (token, seen) in _checked)
            if (seen.Session?.UserId == userId)
                _checked.TryRemove(token, out _);
        Revoked?.Invoke(userId, null);
    }

    /// <summary>Drops everything this instance remembers of sessions and has every open circuit re-check.</summary>
    public void ForgetEveryone()
    {
        Interlocked.Increment(ref _forgets);
        _checked.Clear();
        RecheckEveryone?.Invoke();
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>Checks the cookie's session on every request and puts the account's current name and role in its place.</summary>
public static class SessionCookie
{
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var token = context.Principal?.FindFirstValue(SessionStore.TokenClaim);
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionStore>();
        var session = token is null ? null : await sessions.FindAsync(token, context.HttpContext.RequestAborted);
        if (session is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }
        context.ReplacePrincipal(UserAccounts.Principal(session, token!, context.Scheme.Name));
    }
}

/// <summary>
/// The authentication state of a Blazor circuit, re-checked against the session store every
/// <see cref="SignInSessionOptions.CircuitRevalidation"/> and at once when this instance revokes the user's sessions. A
/// revoked session (or a changed role) signs the circuit out, and the router's sign-in redirect ends the page.
/// </summary>
public sealed class SessionAuthenticationStateProvider(ILoggerFactory loggerFactory, SessionStore sessions, IOptions<SignInSessionOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.CircuitRevalidation;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        if (user.FindFirstValue(SessionStore.TokenClaim) is not { } token)
            return false;
        var session = await sessions.FindAsync(token, cancellationToken);
        return session is not null && user.IsInRole(session.Role);
    }

    /// <summary>Re-checks now; signs the circuit out if the session no longer counts.</summary>
    public async Task RevalidateNowAsync()
    {
        var state = await GetAuthenticationStateAsync();
        if (state.User.Identity?.IsAuthenticated == true && !await ValidateAuthenticationStateAsync(state, CancellationToken.None))
            SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
    }
}

/// <summary>
/// Which open page this is (a key the user menu's sign-out form posts back), and whether it is the one signing out: that
/// page's circuit ends like any other, but <c>RedirectToLogin</c> leaves the navigation to the sign-out's own redirect.
/// One per circuit (scoped).
/// </summary>
public sealed class SigningOutPage
{
    /// <summary>The form field that carries <see cref="Key"/> in <c>POST /account/logout</c>.</summary>
    public const string FormField = "signingOutPage";

    public string Key { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public bool IsSigningOut { get; private set; }

    public void Begin() => IsSigningOut = true;
}

/// <summary>
/// Tracks each open circuit's user, so that revoking their sessions (on this node or, through the cluster listener, on
/// another) reaches their open pages at once.
/// </summary>
public sealed class SessionCircuitHandler(AuthenticationStateProvider authentication, SessionStore sessions, SigningOutPage page, ILogger<SessionCircuitHandler> logger) : CircuitHandler
{
    private int? _userId;

    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (int.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            _userId = userId;
            sessions.Revoked += OnRevoked;
            sessions.RecheckEveryone += Recheck;
        }
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        sessions.Revoked -= OnRevoked;
        sessions.RecheckEveryone -= Recheck;
        return Task.CompletedTask;
    }

    private void OnRevoked(int userId, string? signingOutPage)
    {
        if (userId != _userId)
            return;
        if (signingOutPage is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(signingOutPage), Encoding.UTF8.GetBytes(page.Key)))
            page.Begin();
        Recheck();
    }

    private void Recheck()
    {
        if (authentication is not SessionAuthenticationStateProvider provider)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await provider.RevalidateNowAsync();
            }
            catch (Exception e)
            {
                // The periodic revalidation still ends the circuit within its interval.
                logger.LogWarning(e, "Could not re-check the session of an open page at once.");
            }
        });
    }
}

public static class SessionExtensions
{
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddOptions<SignInSessionOptions>().BindConfiguration(SignInSessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SessionStore>();
        services.AddScoped<AuthenticationStateProvider, SessionAuthenticationStateProvider>();
        services.AddScoped<SigningOutPage>();
        services.AddScoped<CircuitHandler, SessionCircuitHandler>();
        return services;
    }
}
