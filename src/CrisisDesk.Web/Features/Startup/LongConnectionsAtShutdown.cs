namespace CrisisDesk.Web.Features.Startup;

/// <summary>
/// A node stops in a second even with browsers connected. ASP.NET Core's SignalR closes its connections when the
/// application starts stopping, but the Blazor client (and a feed-hub client) reconnects at once, and a reconnect that
/// arrives in that moment is never closed: Kestrel's graceful stop then waits for it until the host's shutdown timeout
/// (30 s), so a restart or a rolling deploy hangs (dotnet/aspnetcore#58947, open). Once stopping, circuit and hub
/// requests are refused with 503 (the client retries, through nginx on another node), and one already under way is
/// aborted. Nothing is lost by it: the page reconnects to a running node and re-reads its state.
/// </summary>
public static class LongConnectionsAtShutdown
{
    public static IApplicationBuilder UseLongConnectionsEndAtShutdown(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/_blazor") && !context.Request.Path.StartsWithSegments(Nodes.FeedHub.Path))
            {
                await next(context);
                return;
            }
            if (stopping.IsCancellationRequested)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await using var abort = stopping.Register(static c => ((HttpContext)c!).Abort(), context);
            await next(context);
        });
    }
}
