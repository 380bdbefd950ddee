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

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/account/login", async (
            [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, UserAccounts accounts) =>
        {
            var account = await accounts.SignInAsync(userName ?? "", password ?? "", http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
            var target = IsLocal(returnUrl) ? returnUrl! : "/";
            if (account is null)
                return Results.Redirect($"/login?failed=1&returnUrl={Uri.EscapeDataString(target)}");
            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                UserAccounts.Principal(account, CookieAuthenticationDefaults.AuthenticationScheme));
            return Results.LocalRedirect(target);
        }).AllowAnonymous().RequireRateLimiting(LoginRateLimit);

        endpoints.MapPost("/account/logout", async (HttpContext http, UserAccounts accounts) =>
        {
            await accounts.RecordSignOutAsync(http.User, http.RequestAborted);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).RequireAuthorization();
        return endpoints;
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);
}
