using System.Text;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Startup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>
/// The public face: the CAP Atom feed and each alert's CAP document at its own URL, anonymous, holding only what the
/// CAP feed channel has delivered (approved, validated, published).
/// </summary>
public static class PublicCapEndpoints
{
    /// <summary>How many alerts the feed lists, newest first.</summary>
    public const int FeedSize = 100;

    public static IEndpointRouteBuilder MapPublicCapEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/" + CapAtomFeed.FeedPath, async (HttpRequest request, IDbContextFactory<CrisisDeskDbContext> contexts, IOptions<PublishingOptions> options, PublicUrl publicUrl, CancellationToken ct) =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            // One entry per thread, its latest published message: an Update replaces the alert it updates, and a Cancel
            // stays listed (as msgType Cancel) so that aggregators learn the alert has ended. An alert has at most one
            // cap-feed delivery (deliveries_alert_channel_key), so "no later published alert in its thread" picks one per thread.
            var published = PublishedOnCapFeed(db);
            var documents = await published
                .Where(p => !published.Any(later => later.Thread == p.Thread && later.Id > p.Id))
                .OrderByDescending(p => p.DeliveredAt).ThenByDescending(p => p.Id)
                .Take(FeedSize)
                .Select(p => p.CapXml)
                .ToListAsync(ct);
            var summaries = documents.Select(CapXml.Read).Where(a => a.Infos.Count > 0).Select(CapFeedEntry.From)
                .OrderByDescending(s => s.Sent).ToList();
            var settings = options.Value;
            var feed = CapAtomFeed.Write(publicUrl.For(request), settings.FeedTitle, settings.FeedAuthor, summaries,
                summaries.Count == 0 ? DateTimeOffset.UnixEpoch : null);
            return Results.Text(feed, CapAtomFeed.MediaType, Encoding.UTF8);
        }).AllowAnonymous();

        endpoints.MapGet("/cap/alerts/{identifier}.xml", async (string identifier, IDbContextFactory<CrisisDeskDbContext> contexts, CancellationToken ct) =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var xml = await PublishedOnCapFeed(db).Where(p => p.Identifier == identifier).Select(p => p.CapXml).SingleOrDefaultAsync(ct);
            return xml is null ? Results.NotFound() : Results.Text(xml, CapXml.MediaType, Encoding.UTF8);
        }).AllowAnonymous();

        var api = endpoints.MapGroup("/api/deliveries").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapPost("/{id:long}/retry", async (long id, HttpContext http, DeliveryCommands commands) =>
        {
            await commands.RetryAsync(http.User, id, http.RequestAborted);
            return Results.NoContent();
        });
        api.MapPost("/{id:long}/abandon", async (long id, HttpContext http, DeliveryCommands commands) =>
        {
            await commands.AbandonAsync(http.User, id, http.RequestAborted);
            return Results.NoContent();
        });
        return endpoints;
    }

    /// <summary>An alert the CAP feed channel has delivered, with when (set by member, so that queries compose over it).</summary>
    private sealed class PublishedAlert
    {
        public int Id { get; init; }
        /// <summary>The first alert of its thread: an Update or Cancel names it, an alert of its own is its own.</summary>
        public int Thread { get; init; }
        public string Identifier { get; init; } = "";
        public string CapXml { get; init; } = "";
        public DateTime? DeliveredAt { get; init; }
    }

    /// <summary>Alerts whose cap-feed delivery succeeded: only these are public.</summary>
    private static IQueryable<PublishedAlert> PublishedOnCapFeed(CrisisDeskDbContext db) =>
        from a in db.Alerts.AsNoTracking()
        join d in db.Deliveries on (int?)a.Id equals d.AlertId
        where d.Channel == ChannelNames.CapFeed && d.Status == "succeeded"
        select new PublishedAlert { Id = a.Id, Thread = a.ThreadRootId ?? a.Id, Identifier = a.Identifier, CapXml = a.CapXml, DeliveredAt = d.DeliveredAt };
}
