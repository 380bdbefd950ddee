using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Ingest.Formats.Feeds;

namespace CrisisDesk.UnitTests.Ingest;

/// <summary>Where a post is, as the normalisers record it in extra for the map (and the database's box columns).</summary>
public sealed class PostPlaceTests
{
    private static JsonElement Extra(string? extra) => JsonDocument.Parse(extra ?? "{}").RootElement.Clone();

    private static string Tweet(string geo) =>
        $$"""{"id_str":"7","created_at":"Tue Mar 24 10:00:00 +0000 2015","text":"Smoke","user":{"screen_name":"u"}{{geo}}}""";

    [Fact]
    public void A_tweet_with_coordinates_is_a_point_longitude_second()
    {
        var post = new XV1TweetFormat().Normalise(Encoding.UTF8.GetBytes(Tweet(""","coordinates":{"type":"Point","coordinates":[6.2,44.25]},"place":{"bounding_box":{"coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}"""))).Post!;

        var extra = Extra(post.Extra);
        Assert.Equal("point", extra.GetProperty("geo_kind").GetString());
        Assert.Equal(new GeoBox(44.25, 6.2, 44.25, 6.2), PostPlace.Read(extra));
    }

    [Fact]
    public void A_tweet_with_only_a_place_has_its_bounding_box()
    {
        var post = new XV1TweetFormat().Normalise(Encoding.UTF8.GetBytes(Tweet(""","coordinates":null,"place":{"full_name":"Berlin","bounding_box":{"type":"Polygon","coordinates":[[[13.08,52.33],[13.76,52.33],[13.76,52.67],[13.08,52.67]]]}}"""))).Post!;

        var extra = Extra(post.Extra);
        Assert.Equal("place", extra.GetProperty("geo_kind").GetString());
        Assert.Equal(new GeoBox(52.33, 13.08, 52.67, 13.76), PostPlace.Read(extra));
    }

    [Theory]
    [InlineData("")]
    [InlineData(""","coordinates":null,"place":null""")]
    [InlineData(""","coordinates":{"type":"Point","coordinates":[6.2,95]}""")]
    [InlineData(""","coordinates":{"type":"Point","coordinates":["east","north"]}""")]
    public void A_tweet_without_a_usable_place_has_none(string geo)
    {
        var post = new XV1TweetFormat().Normalise(Encoding.UTF8.GetBytes(Tweet(geo))).Post!;

        Assert.Null(PostPlace.Read(Extra(post.Extra)));
    }

    [Fact]
    public void An_x_v2_post_uses_its_coordinates_else_its_places_bbox()
    {
        var withPlace = """{"data":{"id":"9","text":"Smoke","created_at":"2026-11-21T10:00:00Z","geo":{"place_id":"p1"}},"includes":{"places":[{"id":"p1","full_name":"Digne","geo":{"type":"Feature","bbox":[6.2,44.0,6.3,44.1]}}]}}""";
        var withPoint = """{"data":{"id":"9","text":"Smoke","created_at":"2026-11-21T10:00:00Z","geo":{"coordinates":{"type":"Point","coordinates":[6.25,44.05]}}}}""";

        Assert.Equal(new GeoBox(44.0, 6.2, 44.1, 6.3), PostPlace.Read(Extra(new XStreamNormaliser().Normalise(Encoding.UTF8.GetBytes(withPlace)).Post!.Extra)));
        Assert.Equal(new GeoBox(44.05, 6.25, 44.05, 6.25), PostPlace.Read(Extra(new XStreamNormaliser().Normalise(Encoding.UTF8.GetBytes(withPoint)).Post!.Extra)));
    }

    [Fact]
    public void An_agency_alert_keeps_its_valid_areas_and_their_box_and_drops_the_invalid()
    {
        var xml = """
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>a1</identifier><sender>s@example.gov</sender><sent>2026-11-21T10:00:00+00:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
              <info><category>Met</category><event>Flood</event><urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
                <area><areaDesc>Town</areaDesc><polygon>53.9,-1.1 53.95,-1.1 53.95,-1.0 53.9,-1.1</polygon><polygon>50,0 51,1 51,0 50,1 50,0</polygon><circle>54.0,-1.05 1</circle><circle>54,-1 -3</circle></area>
              </info>
            </alert>
            """;

        var extra = Extra(new CapAlertNormaliser().Normalise(Encoding.UTF8.GetBytes(xml)).Post!.Extra);

        Assert.Equal(["53.9,-1.1 53.95,-1.1 53.95,-1.0 53.9,-1.1"], extra.GetProperty("polygons").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["54.0,-1.05 1"], extra.GetProperty("circles").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var box = PostPlace.Read(extra)!.Value;
        Assert.Equal(53.9, box.South, 6);
        Assert.True(box.North > 54.0 && box.North < 54.01);
        Assert.Equal("area", extra.GetProperty("geo_kind").GetString());
    }
}
