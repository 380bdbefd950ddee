using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace CrisisDesk.Web.Features.Account;

/// <summary>Sign-in and sign-out as plain form posts (with antiforgery), so they work before any circuit exists.</summary>
public static class AccountEndpoints
{
    public const string LoginRateLimit = "login";

    public sealed class LoginOptions
    {
        /// <summary>Sign-in attempts allowed per client address per minute.</summary>
        public int AttemptsPerMinute { get; set; } = 10;
    }

    public static void AddLoginRateLimit(this IServiceCollection services)
    {
        services.AddOptions<LoginOptions>().BindConfiguration("CrisisDesk:Login")
            .Validate(o => o.AttemptsPerMinute >= 1, "CrisisDesk:Login:AttemptsPerMinute must be at least 1.").ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(LoginRateLimit, context =>
            {
                var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LoginOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.AttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = "60";
                context.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                await context.HttpContext.Response.WriteAsync(
                    "<!doctype html><title>Too many sign-in attempts</title><p>Too many sign-in attempts from this address. " +
                    "Wait a minute, then <a href=\"/login\">try again</a>.</p>", cancellationToken);
            };
        });
    }

    public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/login", async (
            [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, UserAccounts accounts, SessionStore sessions) =>
        {
            var account = await accounts.SignInAsync(userName ?? "", password ?? "", http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            var target = IsLocal(returnUrl) ? returnUrl! : "/";
            if (account is null)
                return Results.Redirect($"/login?failed=1&returnUrl={Uri.EscapeDataString(target)}");
            var token = await sessions.CreateAsync(account.Id, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, UserAccounts.Principal(
                new LiveSession(account.Id, account.UserName, account.DisplayName, account.Role), token, CookieAuthenticationDefaults.AuthenticationScheme));
            return Results.LocalRedirect(target);
        }).AllowAnonymous().RequireRateLimiting(LoginRateLimit);

        // The form's antiforgery token (or the script header) is required by CrossSiteRequests, like every command.
        // A single sign-on's session at the provider ends too: after the local session is revoked, the browser goes to
        // the provider's end-session endpoint (when it has one) and comes back to the sign-in page.
        endpoints.MapPost("/account/logout", async (HttpContext http, UserAccounts accounts) =>
        {
            var before = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            // The user menu names its page: that page's circuit must not navigate away while the browser follows this
            // response's redirect (the provider's end-session endpoint would never be reached).
            var signingOutPage = http.Request.HasFormContentType
                ? (await http.Request.ReadFormAsync(http.RequestAborted))[SigningOutPage.FormField].ToString()
                : null;
            await accounts.SignOutAsync(http.User, http.RequestAborted, string.IsNullOrEmpty(signingOutPage) ? null : signingOutPage);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return await SingleSignOn.SignOutResultAsync(http, before);
        }).RequireAuthorization()
            // The user menu's Sign out is a form (its antiforgery token in the body); scripts post no body.
            .Accepts<object>("application/x-www-form-urlencoded", "multipart/form-data", "application/json");

        // JSON in, 204 out; the other sessions of the person end, this one stays.
        endpoints.MapPost("/account/password", async (ChangePasswordRequest request, HttpContext http, UserAccounts accounts) =>
        {
            try
            {
                await accounts.ChangePasswordAsync(http.User, request.CurrentPassword ?? "", request.NewPassword ?? "", http.RequestAborted);
                return Results.NoContent();
            }
            catch (AccountException e)
            {
                return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
            }
        }).RequireAuthorization();
        return endpoints;
    }

    /// <summary>
    /// A path on this site to return to after sign-in. Control characters are refused too: browsers drop a tab or a
    /// newline ("/\t/evil.example" becomes "//evil.example"), and LocalRedirect would throw on them.
    /// </summary>
    internal static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
        && !url.Any(char.IsControl);
}
