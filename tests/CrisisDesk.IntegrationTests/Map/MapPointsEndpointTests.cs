using System.Buffers.Binary;
using System.Net;
using System.Text;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Map;

namespace CrisisDesk.IntegrationTests.Map;

/// <summary>
/// The war room map's posts over HTTP (what the prerendered page fetches to draw the map before its circuit is up):
/// the same posts, in the same order, as the map panel's own read, to signed-in users only; and the prerendered war
/// room names that address and preloads it.
/// </summary>
public sealed class MapPointsEndpointTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{

    private async Task<int> IncidentWithLocatedPostsAsync(int located)
    {
        var (incidentId, sourceId) = await app.Database.NewIncidentAsync("Map points");
        var random = new Random(7);
        var posts = Enumerable.Range(0, located).Select(i => TestPosts.LocatedTweet($"p{i}", 40 + random.NextDouble() * 10, -3 + random.NextDouble() * 10)).ToList();
        posts.Add(new Post { Platform = "mastodon", ExternalId = "unlocated", CreatedAt = DateTimeOffset.UtcNow, Text = "No place" });
        await new PostWriter(app.Database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, posts, [], null, null));
        return incidentId;
    }

    [Fact]
    public async Task A_viewer_gets_the_same_points_as_the_map_panel_reads_newest_first()
    {
        var incidentId = await IncidentWithLocatedPostsAsync(25);
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var response = await client.GetAsync(MapEndpoints.PointsUrl(incidentId));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var body = await response.Content.ReadAsByteArrayAsync();
        var points = Enumerable.Range(0, body.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(body.AsSpan(i * 8))).ToArray();
        var panel = await new MapQueries(app.Database.DataSource).LocatedPostsAsync(incidentId, 0, MapEndpoints.MaxPoints);
        Assert.Equal(25, panel.Count);
        Assert.Equal(panel.SelectMany(p => new[] { (double)p.Id, p.Latitude, p.Longitude }), points);
    }

    [Fact]
    public async Task No_more_than_the_map_holds_are_sent_the_newest()
    {
        var incidentId = await IncidentWithLocatedPostsAsync(3);
        var queries = new MapQueries(app.Database.DataSource);

        var two = await queries.LocatedPointsAsync(incidentId, 2);

        var newest = await queries.LocatedPostsAsync(incidentId, 0, 2);
        Assert.Equal(newest.SelectMany(p => new[] { (double)p.Id, p.Latitude, p.Longitude }), two);
    }

    [Fact]
    public async Task An_unknown_incident_is_a_clear_404_and_strangers_get_nothing()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var unknown = await client.GetAsync(MapEndpoints.PointsUrl(987_654));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("There is no incident 987654", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var incidentId = await IncidentWithLocatedPostsAsync(1);
        var anonymous = await app.NewClient().GetAsync(MapEndpoints.PointsUrl(incidentId));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_prerendered_war_room_preloads_its_map_points_and_says_how_many_there_are()
    {
        var incidentId = await IncidentWithLocatedPostsAsync(12);
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password, asScript: false);

        var html = await client.GetStringAsync($"/incidents/{incidentId}");

        var url = MapEndpoints.PointsUrl(incidentId);
        Assert.Contains($"<link rel=\"preload\" as=\"fetch\" href=\"{url}\" crossorigin=\"anonymous\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-early-points=\"{url}\"", html, StringComparison.Ordinal);
        Assert.Contains("12 located posts", html, StringComparison.Ordinal);
    }
}
