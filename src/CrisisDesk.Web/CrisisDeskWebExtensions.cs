using CrisisDesk.Core.Live;
using CrisisDesk.Data;
using CrisisDesk.Ingest;
using CrisisDesk.Web.Components;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Audit;
using CrisisDesk.Web.Features.Review;
using CrisisDesk.Web.Features.Drill;
using CrisisDesk.Web.Features.Health;
using CrisisDesk.Web.Features.Incidents;
using CrisisDesk.Web.Features.Map;
using CrisisDesk.Web.Features.Nodes;
using CrisisDesk.Web.Features.Sources;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Replies;
using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.RecipientLists;
using CrisisDesk.Web.Features.Startup;
using CrisisDesk.Web.Features.WarRoom;
using Microsoft.AspNetCore.Authentication.Cookies;
using MudBlazor.Services;

namespace CrisisDesk.Web;

public static class CrisisDeskWebExtensions
{
    /// <summary>
    /// Everything CrisisDesk registers, as Program runs it: the node's roles (web, ingest or both, the default: one
    /// process runs everything; see Features/Nodes), the data, the web host, ingest (sources run only on an ingest node)
    /// and the nodes' hub. The test of the settings checked at start composes the host through this too.
    /// </summary>
    public static NodeRoles AddCrisisDesk(this IHostApplicationBuilder builder)
    {
        var roles = builder.AddNodeRoles();
        builder.AddCrisisDeskData();
        builder.AddCrisisDeskWeb();
        builder.AddCrisisDeskIngest(runSources: roles.Ingest);
        builder.AddNodes(roles);
        return roles;
    }

    /// <summary>Registers the web host's own services: accounts, incidents, war room, startup work.</summary>
    public static IHostApplicationBuilder AddCrisisDeskWeb(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Runs first among the hosted services: the database must be migrated before ingest starts.
        services.AddHostedService<DatabaseStartup>();
        services.AddOptions<InitialAdminOptions>().BindConfiguration(InitialAdminOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.UserName), "CrisisDesk:Admin:UserName must not be empty.")
            .Validate(o => o.Password is null || PasswordPolicy.Problem(o.Password, o.UserName) is null,
                "CrisisDesk:Admin:Password is not an acceptable password: at least 12 characters, not a common password, not the user name, not repetitive.")
            .ValidateOnStart();

        services.AddRazorComponents().AddInteractiveServerComponents(options =>
        {
            // An operator who loses the connection for a minute comes back to the same circuit (kept three minutes),
            // and after longer, or after Blazor.pauseCircuit(), to a circuit resumed from its persisted state
            // ([PersistentState] properties), kept in memory for two hours.
            options.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(3);
            options.PersistedCircuitInMemoryRetentionPeriod = TimeSpan.FromHours(2);
            options.PersistedCircuitInMemoryMaxRetained = 1000;
        });
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddPublicAddress();
        services.AddSessions();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.LoginPath = "/login";
            options.LogoutPath = "/account/logout";
            options.AccessDeniedPath = "/login";
            options.Cookie.Name = "crisisdesk.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            // The cookie only names a server-side session (SessionStore), checked on every request; it does not slide.
            options.ExpireTimeSpan = new SignInSessionOptions().AbsoluteLifetime;
            options.SlidingExpiration = false;
            options.Events.OnValidatePrincipal = SessionCookie.ValidatePrincipalAsync;
            options.Events.OnRedirectToLogin = context => ApiAware(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => ApiAware(context, StatusCodes.Status403Forbidden);
        });
        // Secure over https (as the proxy reports it) and always when the public address is https.
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<PublicAddressOptions>, Microsoft.Extensions.Options.IOptions<SignInSessionOptions>>((options, address, sessions) =>
            {
                options.Cookie.SecurePolicy = address.Value.BaseUrl?.Scheme == Uri.UriSchemeHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = sessions.Value.AbsoluteLifetime;
            });
        services.AddAntiforgery(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.AddAuthorization(Policies.Add);
        services.AddLoginRateLimit();
        builder.AddSingleSignOn();

        services.AddSingleton<CommandAuthorizer>();
        services.AddSingleton<Features.Commands.CommandRunner>();
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<IncidentCommands>();
        services.AddSingleton<WarRoomQueries>();
        services.AddSingleton<MoodQueries>();
        builder.AddAudit();
        builder.AddReview();
        builder.AddMap();
        builder.AddSources();
        builder.AddPublishing();
        builder.AddNotifications();
        builder.AddRecipientLists();
        services.AddAlerts();
        services.AddRebuttals();
        builder.AddRumours();
        builder.AddReplies();
        builder.AddEnquiries();
        return builder;
    }

    /// <summary>APIs answer 401/403; pages are sent to the sign-in page.</summary>
    private static Task ApiAware(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int apiStatus)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
            context.Response.StatusCode = apiStatus;
        else
            context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static bool IsBrowserPageRequest(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && !context.Request.Path.StartsWithSegments("/api")
        && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The middleware and endpoints. A node without the web role serves no pages and no APIs: only the health endpoints
    /// and (with the ingest role) the feed hub.
    /// </summary>
    public static WebApplication MapCrisisDesk(this WebApplication app, Features.Nodes.NodeRoles? roles = null)
    {
        roles ??= Features.Nodes.NodeRoles.Both;
        app.UseTrustedForwardedHeaders();
        app.UseLongConnectionsEndAtShutdown();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        // An unknown address in a browser gets the NotFound page with its 404; APIs, feeds and scripts keep their bare
        // status codes.
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use((context, next) =>
        {
            if (!IsBrowserPageRequest(context) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } statusPages)
                statusPages.Enabled = false;
            return next(context);
        });
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseCrossSiteRequestChecks();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealthEndpoint();
        app.MapNodeEndpoints(roles);
        if (!roles.Web)
            return app;
        app.MapStaticAssets().AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapSingleSignOnEndpoints();
        app.MapIncidentEndpoints();
        app.MapAuditEndpoints();
        app.MapReviewEndpoints();
        app.MapSourceEndpoints();
        app.MapPublicCapEndpoints();
        app.MapAlertEndpoints();
        app.MapMapEndpoints();
        app.MapRebuttalEndpoints();
        app.MapRumourEndpoints();
        app.MapReplyEndpoints();
        app.MapEnquiryEndpoints();
        app.MapNotificationEndpoints();
        app.MapRecipientListEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
