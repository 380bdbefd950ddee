using System.Net;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Startup;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CrisisDesk.Web.Features.Account;

/// <summary>
/// OpenID Connect sign-in beside local accounts: the authorization code flow with PKCE, state and nonce, the id token's
/// signature, issuer, audience and lifetime checked by ASP.NET Core's handler (none of those checks is turned off
/// here). The provider's principal never becomes the cookie: it is turned into a CrisisDesk account and a server-side
/// session (<see cref="SingleSignOnAccounts"/>), exactly as a local sign-in, so sessions, revocation and roles work
/// the same for both.
/// </summary>
public static class SingleSignOn
{
    public const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;
    public const string CallbackPath = "/signin-oidc";
    public const string SignedOutCallbackPath = "/signout-callback-oidc";

    /// <summary>Where the id token is kept in the cookie's properties, for the provider's sign-out (<c>id_token_hint</c>).</summary>
    private const string IdTokenItem = "crisisdesk.id_token";

    public static IHostApplicationBuilder AddSingleSignOn(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SingleSignOnOptions>().BindConfiguration(SingleSignOnOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SingleSignOnOptions>, SingleSignOnOptionsValidator>();
        services.AddSingleton<SingleSignOnAccounts>();

        // The handler's services as AddOpenIdConnect registers them; the scheme itself is added only when configured
        // (below), because an unconfigured OpenID Connect scheme fails every request.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddTransient<OpenIdConnectHandler>();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<SingleSignOnOptions>>((auth, sso) =>
        {
            if (sso.Value.Enabled)
                auth.AddScheme<OpenIdConnectHandler>(Scheme, sso.Value.DisplayName);
        });
        services.AddOptions<OpenIdConnectOptions>(Scheme)
            .Configure<IOptions<SingleSignOnOptions>, IOptions<PublicAddressOptions>, IConfiguration>(Configure)
            .Validate(o =>
            {
                o.Validate(Scheme);
                return true;
            });
        return builder;
    }

    private static void Configure(OpenIdConnectOptions options, IOptions<SingleSignOnOptions> sso, IOptions<PublicAddressOptions> address, IConfiguration configuration)
    {
        var settings = sso.Value;
        if (!settings.Enabled)
            return;
        var authority = new Uri(settings.Authority!);
        options.Authority = settings.Authority;
        options.ClientId = settings.ClientId;
        options.ClientSecret = string.IsNullOrWhiteSpace(settings.ClientSecret) ? null : new SourceSecrets(configuration).Find(settings.ClientSecret)?.Value;
        options.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps || !SingleSignOnOptionsValidator.AllowsHttp(authority, configuration);
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.UsePkce = true;
        // The code comes back in the query: a top-level GET, which carries the SameSite=Lax correlation and nonce
        // cookies from the provider's site (a cross-site form_post would need SameSite=None).
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.CallbackPath = CallbackPath;
        options.SignedOutCallbackPath = SignedOutCallbackPath;
        options.SignedOutRedirectUri = "/login?signedOut=1";
        options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.SignOutScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        options.SaveTokens = true;
        options.GetClaimsFromUserInfoEndpoint = false;
        options.MapInboundClaims = false;
        options.DisableTelemetry = true;
        options.Scope.Clear();
        foreach (var scope in new[] { "openid", "profile" }.Concat(settings.Scopes).Distinct(StringComparer.Ordinal))
            options.Scope.Add(scope);
        options.TokenValidationParameters.NameClaimType = settings.UserNameClaim;
        options.TokenValidationParameters.RoleClaimType = settings.RoleClaim;
        var secure = address.Value.BaseUrl?.Scheme == Uri.UriSchemeHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = secure;
        options.NonceCookie.SameSite = SameSiteMode.Lax;
        options.NonceCookie.SecurePolicy = secure;
        options.Events.OnAuthorizationCodeReceived = async context =>
        {
            // The client secret goes only to the provider that issued it: the token endpoint (from the discovery
            // document, unless the request names one) must be on the authority's host.
            if (options.ClientSecret is null)
                return;
            var tokenEndpoint = context.TokenEndpointRequest?.TokenEndpoint;
            if (string.IsNullOrEmpty(tokenEndpoint) && context.Options.ConfigurationManager is { } manager)
                tokenEndpoint = (await manager.GetConfigurationAsync(context.HttpContext.RequestAborted)).TokenEndpoint;
            if (!Uri.TryCreate(tokenEndpoint, UriKind.Absolute, out var target)
                || !string.Equals(target.Host, authority.Host, StringComparison.OrdinalIgnoreCase)
                || (target.Scheme != Uri.UriSchemeHttps && !SingleSignOnOptionsValidator.AllowsHttp(target, configuration)))
                context.Fail($"the token endpoint \"{tokenEndpoint}\" is not on the provider's host {authority.Host} over https; the client secret was not sent");
        };
        options.Events.OnTicketReceived = OnTicketReceivedAsync;
        options.Events.OnRemoteFailure = OnRemoteFailureAsync;
        options.Events.OnRedirectToIdentityProviderForSignOut = context =>
        {
            if (context.Properties.Items.TryGetValue(IdTokenItem, out var idToken) && idToken is not null)
                context.ProtocolMessage.IdTokenHint = idToken;
            // Kept out of the state parameter, which the handler protects after this event.
            context.Properties.Items.Remove(IdTokenItem);
            return Task.CompletedTask;
        };
    }

    /// <summary>The provider's valid answer: turn it into a CrisisDesk session, or refuse and say why.</summary>
    private static async Task OnTicketReceivedAsync(TicketReceivedContext context)
    {
        var http = context.HttpContext;
        var accounts = http.RequestServices.GetRequiredService<SingleSignOnAccounts>();
        var remote = http.Connection.RemoteIpAddress?.ToString();
        context.HandleResponse();
        try
        {
            var (session, token) = await accounts.SignInAsync(context.Principal!, remote, http.RequestAborted);
            var properties = new AuthenticationProperties();
            if (context.Properties?.GetTokenValue(OpenIdConnectParameterNames.IdToken) is { } idToken)
                properties.Items[IdTokenItem] = idToken;
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                UserAccounts.Principal(session, token, CookieAuthenticationDefaults.AuthenticationScheme), properties);
            var target = AccountEndpoints.IsLocal(context.ReturnUri) ? context.ReturnUri! : "/";
            await WriteContinuePageAsync(http, target);
        }
        catch (SingleSignOnRefusedException refused)
        {
            http.Response.Redirect($"/login?sso={Uri.EscapeDataString(refused.Code)}");
        }
    }

    /// <summary>
    /// Anything the handler refused (a token with a bad signature, audience, issuer, nonce or lifetime, a state or
    /// correlation that does not match, an error from the provider): nobody is signed in, the refusal is recorded, and
    /// the sign-in page says so.
    /// </summary>
    private static async Task OnRemoteFailureAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var failure = context.Failure;
        var reason = failure is null ? "unknown failure" : $"{failure.GetType().Name}: {failure.Message}";
        if (reason.Length > 500)
            reason = reason[..500] + "…";
        var code = failure is Microsoft.IdentityModel.Tokens.SecurityTokenException or OpenIdConnectProtocolException
            && !reason.Contains("Message contains error", StringComparison.Ordinal)
            ? SingleSignOnAccounts.Refusals.Token
            : SingleSignOnAccounts.Refusals.Failed;
        await http.RequestServices.GetRequiredService<SingleSignOnAccounts>()
            .RecordRefusalAsync(null, null, null, reason, http.Connection.RemoteIpAddress?.ToString(), CancellationToken.None);
        http.Response.Redirect($"/login?sso={code}");
    }

    /// <summary>
    /// The sign-in cookie is SameSite=Strict, and a browser withholds it on a redirect chain that began at the
    /// provider's site. A page that moves on by itself starts a same-site navigation, which carries it.
    /// </summary>
    private static Task WriteContinuePageAsync(HttpContext http, string target)
    {
        var encoded = WebUtility.HtmlEncode(target);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        return http.Response.WriteAsync($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={encoded}">
            <title>Signing in · CrisisDesk</title></head><body><p>Signed in. <a href="{encoded}">Continue to CrisisDesk</a>.</p></body></html>
            """);
    }

    /// <summary>
    /// Where the browser goes after a local sign-out: the provider's end-session endpoint when the person signed in
    /// through it and the provider has one (its own session ends too), else the sign-in page.
    /// </summary>
    public static async Task<IResult> SignOutResultAsync(HttpContext http, AuthenticateResult before)
    {
        var sso = http.RequestServices.GetRequiredService<IOptions<SingleSignOnOptions>>().Value;
        if (!sso.Enabled || before.Properties?.Items.TryGetValue(IdTokenItem, out var idToken) != true || idToken is null)
            return Results.LocalRedirect("/login");
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(Scheme);
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
            if (string.IsNullOrEmpty(configuration.EndSessionEndpoint))
                return Results.LocalRedirect("/login");
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            // The provider is unreachable: the session here has ended anyway; its own will end when it expires.
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOn))
                .LogWarning(e, "Could not read the identity provider's configuration for its sign-out.");
            return Results.LocalRedirect("/login");
        }
        var properties = new AuthenticationProperties { RedirectUri = "/login?signedOut=1" };
        properties.Items[IdTokenItem] = idToken;
        return Results.SignOut(properties, [Scheme]);
    }

    /// <summary><c>GET /account/sso?returnUrl=…</c>: off (404) unless configured; else to the provider.</summary>
    public static IEndpointRouteBuilder MapSingleSignOnEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/account/sso", (string? returnUrl, IOptions<SingleSignOnOptions> sso) =>
            !sso.Value.Enabled
                ? Results.NotFound()
                : Results.Challenge(new AuthenticationProperties { RedirectUri = AccountEndpoints.IsLocal(returnUrl) ? returnUrl : "/" }, [Scheme]))
            .AllowAnonymous().RequireRateLimiting(AccountEndpoints.LoginRateLimit);
        return endpoints;
    }
}
