using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Map;
using Dapper;

namespace CrisisDesk.IntegrationTests.Map;

/// <summary>
/// Posts' and alerts' places on a real PostgreSQL: written through the ingest path's own writer (binary COPY), found
/// with the indexed box columns of migration 0820 (posts by area: FeedByPlaceTests).
/// </summary>
public sealed class MapGeometryTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static Post Tweet(string json) => Assert.IsType<Post>(new XV1TweetFormat().Normalise(Encoding.UTF8.GetBytes(json)).Post);

    private static string TweetJson(string id, string geo) =>
        $$"""{"id_str":"{{id}}","created_at":"Tue Mar 24 10:00:00 +0000 2015","text":"Smoke seen {{id}}","user":{"screen_name":"u{{id}}"}{{geo}}}""";

    private static Post CapAlert(string polygon, string severity) => Assert.IsType<Post>(new CapAlertNormaliser().Normalise(Encoding.UTF8.GetBytes($"""
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>fire-1</identifier><sender>rfs@example.gov</sender><sent>2015-03-24T10:05:00+00:00</sent>
          <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
          <info><category>Fire</category><event>Bushfire</event><urgency>Immediate</urgency><severity>{severity}</severity><certainty>Observed</certainty>
            <headline>Bushfire near the pass</headline>
            <area><areaDesc>The pass</areaDesc><polygon>{polygon}</polygon><polygon>50,0 51,1 51,0 50,1 50,0</polygon></area>
          </info>
        </alert>
        """)).Post);

    [Fact]
    public async Task Located_posts_and_agency_alert_areas_are_stored_and_found_by_area_exactly()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Map test");
        var posts = new List<Post>
        {
            Tweet(TweetJson("1", ""","coordinates":{"type":"Point","coordinates":[6.2,44.2]}""")),
            Tweet(TweetJson("2", ""","place":{"full_name":"Seyne","bounding_box":{"type":"Polygon","coordinates":[[[6.3,44.3],[6.4,44.3],[6.4,44.4],[6.3,44.4]]]}}""")),
            Tweet(TweetJson("3", "")),
            // Off the globe: kept as a post, without a place.
            Tweet(TweetJson("4", ""","coordinates":{"type":"Point","coordinates":[6.2,95]}""")),
            // A hand-made extra with a place the database cannot read: the post is stored, the place ignored.
            new Post { Platform = "jsonl", ExternalId = "5", CreatedAt = DateTimeOffset.UtcNow, Text = "odd", Extra = """{"geo_south":"1e400","geo_west":"x","geo_north":"91","geo_east":"0"}""" },
            CapAlert("44.0,6.0 44.5,6.0 44.5,6.5 44.0,6.5 44.0,6.0", "Severe"),
        };
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId, posts, [], null, null));
        var queries = new MapQueries(database.DataSource);

        var located = await queries.LocatedPostsAsync(incidentId, 0, 100);
        Assert.Equal(2, located.Count);
        var point = Assert.Single(located, p => p.Text == "Smoke seen 1");
        Assert.Equal((44.2, 6.2), (point.Latitude, point.Longitude));
        var place = Assert.Single(located, p => p.Text == "Smoke seen 2");
        Assert.Equal(44.35, place.Latitude, 6);
        Assert.Equal(6.35, place.Longitude, 6);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(6, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM posts WHERE incident_id = @incidentId", new { incidentId }));
            Assert.Null(await connection.ExecuteScalarAsync<double?>("SELECT geo_south FROM posts WHERE incident_id = @incidentId AND external_id = '5'", new { incidentId }));
        }

        // The agency's alert: its valid polygon kept (the bow tie left out), coloured by its severity.
        var alert = Assert.Single(await queries.AgencyAlertsAsync(incidentId));
        Assert.Equal("Bushfire near the pass", alert.Headline);
        Assert.Equal("Severe", alert.Severity);
        Assert.Equal("44.0,6.0 44.5,6.0 44.5,6.5 44.0,6.5 44.0,6.0", Assert.Single(alert.Shapes.Polygons).ToString());
        Assert.NotEqual(MapQueries.SeverityColour("Minor"), MapQueries.SeverityColour(alert.Severity));
    }

    [Fact]
    public async Task The_area_query_uses_the_box_index()
    {
        var (incidentId, _) = await database.NewIncidentAsync("Map plan");
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("SET enable_seqscan = off");
        var plan = string.Join('\n', await connection.QueryAsync<string>("""
            EXPLAIN SELECT id FROM posts WHERE incident_id = @incidentId AND geo_south IS NOT NULL
               AND geo_south <= 45 AND geo_north >= 44 AND geo_west <= 7 AND geo_east >= 6
            """, new { incidentId }));
        Assert.Contains("posts_geo_idx", plan, StringComparison.Ordinal);
    }
}

/// <summary>An incident's area drawn when it is opened: stored as CAP shapes, logged, and refused with a clear message when it is not valid CAP.</summary>
public sealed class IncidentAreaTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Fact]
    public async Task An_incident_opened_with_a_drawn_area_keeps_it_and_a_crossing_polygon_is_refused()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

        var opened = await admin.PostAsJsonAsync("/api/incidents", new
        {
            name = "Wildfire at the pass",
            areaPolygons = new[] { "44.0,6.0 44.5,6.0 44.5,6.5 44.0,6.0" },
            areaCircles = new[] { "44.3,6.3 5" },
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var id = (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var area = await new MapQueries(app.Database.DataSource).IncidentAreaAsync(id);
        Assert.Equal("44.0,6.0 44.5,6.0 44.5,6.5 44.0,6.0", Assert.Single(area.Polygons).ToString());
        Assert.Equal("44.3,6.3 5", Assert.Single(area.Circles).ToString());
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            var logged = await connection.ExecuteScalarAsync<string>(
                "SELECT payload::text FROM events WHERE action = 'incident.opened' AND incident_id = @id", new { id });
            Assert.Contains("44.3,6.3 5", logged, StringComparison.Ordinal);
            var box = await connection.QuerySingleAsync<(double South, double North)>("SELECT area_south, area_north FROM incidents WHERE id = @id", new { id });
            Assert.Equal(44.0, box.South, 6);
            Assert.Equal(44.5, box.North, 6);
        }

        var crossing = await admin.PostAsJsonAsync("/api/incidents", new { name = "Bad area", areaPolygons = new[] { "50,0 51,1 51,0 50,1 50,0" } });
        Assert.Equal(HttpStatusCode.BadRequest, crossing.StatusCode);
        Assert.Contains("crosses itself", await crossing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
