using System.Text;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Startup;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
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
        endpoints.MapGet("/" + CapAtomFeed.FeedPath, async (HttpRequest request, NpgsqlDataSource dataSource, IOptions<PublishingOptions> options, PublicUrl publicUrl, CancellationToken ct) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            // One entry per thread, its latest published message: an Update replaces the alert it updates, and a Cancel
            // stays listed (as msgType Cancel) so that aggregators learn the alert has ended.
            var documents = await connection.QueryAsync<string>(new CommandDefinition("""
                SELECT cap_xml FROM (
                    SELECT DISTINCT ON (coalesce(a.thread_root_id, a.id)) a.cap_xml, d.delivered_at, a.id
                      FROM alerts a JOIN deliveries d ON d.alert_id = a.id AND d.channel = 'cap-feed' AND d.status = 'succeeded'
                     ORDER BY coalesce(a.thread_root_id, a.id), a.id DESC) latest
                 ORDER BY delivered_at DESC, id DESC LIMIT @limit
                """, new { limit = FeedSize }, cancellationToken: ct));
            var summaries = documents.Select(CapXml.Read).Where(a => a.Infos.Count > 0).Select(CapFeedEntry.From)
                .OrderByDescending(s => s.Sent).ToList();
            var settings = options.Value;
            var feed = CapAtomFeed.Write(publicUrl.For(request), settings.FeedTitle, settings.FeedAuthor, summaries,
                summaries.Count == 0 ? DateTimeOffset.UnixEpoch : null);
            return Results.Text(feed, CapAtomFeed.MediaType, Encoding.UTF8);
        }).AllowAnonymous();

        endpoints.MapGet("/cap/alerts/{identifier}.xml", async (string identifier, NpgsqlDataSource dataSource, CancellationToken ct) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var xml = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
                SELECT a.cap_xml FROM alerts a JOIN deliveries d ON d.alert_id = a.id AND d.channel = 'cap-feed' AND d.status = 'succeeded'
                 WHERE a.identifier = @identifier
                """, new { identifier }, cancellationToken: ct));
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
}
