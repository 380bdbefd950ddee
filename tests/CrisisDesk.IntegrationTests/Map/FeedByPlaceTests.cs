using System.Text;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Map;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.IntegrationTests.Map;

/// <summary>
/// The war room's feed narrowed by place on a real PostgreSQL: inside the incident's drawn area (the exact shape,
/// tested in SQL by migration 0821's function, held here to CapShapes' answers) and inside what the map shows.
/// </summary>
public sealed class FeedByPlaceTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    // An L: its box (44.1–44.45, 6.1–6.45) holds its notch (44.25–44.45, 6.25–6.45), which the shape does not.
    private const string LShape = "44.1,6.1 44.45,6.1 44.45,6.25 44.25,6.25 44.25,6.45 44.1,6.45 44.1,6.1";
    private const string Circle = "44.8,6.8 5";

    [Fact]
    public async Task The_database_and_the_code_agree_on_what_lies_in_an_area_point_by_point()
    {
        var polygons = new[] { LShape, "43.0,5.0 43.5,5.2 43.1,5.6 43.0,5.0" };
        var circles = new[] { Circle };
        var shapes = MapQueries.Shapes(polygons, circles);
        var points = new List<GeoPoint>();
        for (var lat = 42.9; lat <= 44.95; lat += 0.025)
            for (var lon = 4.9; lon <= 6.95; lon += 0.025)
                points.Add(new GeoPoint(Math.Round(lat, 3), Math.Round(lon, 3)));
        // Corners and edges of the L count as inside in both.
        points.AddRange([new(44.1, 6.1), new(44.25, 6.35), new(44.45, 6.2), new(44.1, 6.3)]);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var inDatabase = (await connection.QueryAsync<bool>("""
            SELECT crisisdesk_in_cap_area(p.lat, p.lon, @polygons, @circles)
              FROM unnest(@lats, @lons) WITH ORDINALITY AS p(lat, lon, n) ORDER BY p.n
            """, new { polygons, circles, lats = points.Select(p => p.Latitude).ToArray(), lons = points.Select(p => p.Longitude).ToArray() })).ToList();

        var inCode = points.Select(p => shapes.Polygons.Any(s => CapShapes.Contains(s, p)) || shapes.Circles.Any(c => CapShapes.Contains(c, p))).ToList();
        Assert.Equal(points.Count, inDatabase.Count);
        var disagreements = points.Where((p, i) => inDatabase[i] != inCode[i]).ToList();
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} points disagree, first {disagreements.FirstOrDefault()}");
        // Not a vacuous agreement: both sides find points inside and outside.
        Assert.InRange(inCode.Count(x => x), 100, points.Count - 100);
    }

    [Fact]
    public async Task The_feed_keeps_posts_inside_the_incident_area_or_the_map_view_and_counts_them()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Feed by place");
        var shapes = MapQueries.Shapes([LShape], [Circle]);
        var box = PostPlace.Of(shapes.Polygons, shapes.Circles)!.Value;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                UPDATE incidents SET area_polygons = @polygons, area_circles = @circles,
                       area_south = @South, area_west = @West, area_north = @North, area_east = @East WHERE id = @incidentId
                """, new { incidentId, polygons = new[] { LShape }, circles = new[] { Circle }, box.South, box.West, box.North, box.East });
        }
        var posts = new List<Post>
        {
            TestPosts.LocatedTweet("in-l", 44.2, 6.2),
            TestPosts.LocatedTweet("notch", 44.35, 6.35),        // in the area's box, outside its shape
            TestPosts.LocatedTweet("in-circle", 44.81, 6.79),
            TestPosts.LocatedTweet("far", 48.85, 2.35),
            TestPosts.LocatedTweet("east-of-dateline", -17.7, 178.4),
            TestPosts.LocatedTweet("west-of-dateline", -13.8, -171.8),
            new() { Platform = "mastodon", ExternalId = "unlocated", CreatedAt = DateTimeOffset.UtcNow, Text = "No place" },
        };
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, posts, [], null, null));
        var triage = new TriageQueries(database.DataSource, CrisisDeskDbContext.FactoryOver(database.DataSource));

        async Task<string[]> Feed(TriageFilter filter)
        {
            var (count, maxId) = await triage.HeadAsync(incidentId, filter);
            var page = await triage.PageAsync(incidentId, filter, maxId, 0, 50);
            Assert.Equal(count, page.Count);
            return [.. page.Select(p => p.Text.Replace("Seen at ", "", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        }

        Assert.Equal(7, (await Feed(TriageFilter.None)).Length);
        Assert.Equal(["in-circle", "in-l"], await Feed(new TriageFilter(Place: FeedPlace.IncidentArea)));
        // Before the map says what it shows: every located post.
        Assert.Equal(6, (await Feed(new TriageFilter(Place: FeedPlace.MapView))).Length);
        Assert.Equal(["in-circle", "in-l", "notch"], await Feed(new TriageFilter(Place: FeedPlace.MapView, View: new GeoBox(44, 6, 45, 7))));
        // A map panned once round the world reports longitudes past 180; the same place is meant.
        Assert.Equal(["in-circle", "in-l", "notch"], await Feed(new TriageFilter(Place: FeedPlace.MapView, View: new GeoBox(44, 366, 45, 367))));
        // A view across the antimeridian holds both sides of it.
        Assert.Equal(["east-of-dateline", "west-of-dateline"], await Feed(new TriageFilter(Place: FeedPlace.MapView, View: new GeoBox(-20, 170, -10, 190))));
        Assert.Equal(6, (await Feed(new TriageFilter(Place: FeedPlace.MapView, View: new GeoBox(-85, -400, 85, 400)))).Length);
        // Filters compose.
        Assert.Empty(await Feed(new TriageFilter(Place: FeedPlace.IncidentArea, Platform: "mastodon")));
    }
}
