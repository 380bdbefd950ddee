using System.Globalization;
using System.Text.Json;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// Where a post is, as its <c>extra</c> carries it: <c>geo_south</c>, <c>geo_west</c>, <c>geo_north</c>,
/// <c>geo_east</c> as decimal text (a point is a box of no size), and <c>geo_kind</c> (point, place, area). The
/// database derives its indexed box columns from these (migration 0820).
/// </summary>
public static class PostPlace
{
    /// <summary>The extra members for a box, or members with no value (left out) when there is none.</summary>
    public static (string Name, string? Value)[] Members(GeoBox? box, string kind) => box is { } b
        ? [("geo_kind", kind), ("geo_south", Degrees(b.South)), ("geo_west", Degrees(b.West)), ("geo_north", Degrees(b.North)), ("geo_east", Degrees(b.East))]
        : [];

    public static void Write(Utf8JsonWriter writer, GeoBox? box, string kind)
    {
        foreach (var (name, value) in Members(box, kind))
            writer.WriteString(name, value);
    }

    /// <summary>
    /// A v1.1 tweet's place: its exact <c>coordinates</c> (GeoJSON, longitude first) when the author shared them, else
    /// the bounding box of its tagged <c>place</c>. Null when it has neither or they are off the globe.
    /// </summary>
    public static (GeoBox Box, string Kind)? FromTweetV1(JsonElement tweet)
    {
        if (tweet.TryGetProperty("coordinates", out var coordinates) && Point(coordinates) is { } point)
            return (point, "point");
        if (tweet.TryGetProperty("place", out var place) && place.ValueKind == JsonValueKind.Object
            && place.TryGetProperty("bounding_box", out var bbox) && Ring(bbox) is { } box)
            return (box, "place");
        return null;
    }

    /// <summary>A GeoJSON Point object (<c>{"type":"Point","coordinates":[lon,lat]}</c>) as a box of no size.</summary>
    public static GeoBox? Point(JsonElement geoJson)
    {
        if (geoJson.ValueKind != JsonValueKind.Object || !geoJson.TryGetProperty("coordinates", out var pair)
            || pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() < 2
            || !Number(pair[0], out var lon) || !Number(pair[1], out var lat))
            return null;
        return OnTheGlobe(lat, lon) ? new GeoBox(lat, lon, lat, lon) : null;
    }

    /// <summary>The box round a GeoJSON Polygon's outer ring (<c>{"coordinates":[[[lon,lat],…]]}</c>).</summary>
    public static GeoBox? Ring(JsonElement geoJson)
    {
        if (geoJson.ValueKind != JsonValueKind.Object || !geoJson.TryGetProperty("coordinates", out var rings)
            || rings.ValueKind != JsonValueKind.Array || rings.GetArrayLength() == 0 || rings[0].ValueKind != JsonValueKind.Array)
            return null;
        var points = new List<(double Lat, double Lon)>();
        foreach (var pair in rings[0].EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() < 2 || !Number(pair[0], out var lon) || !Number(pair[1], out var lat)
                || !OnTheGlobe(lat, lon))
                return null;
            points.Add((lat, lon));
        }
        return points.Count == 0 ? null : new GeoBox(points.Min(p => p.Lat), points.Min(p => p.Lon), points.Max(p => p.Lat), points.Max(p => p.Lon));
    }

    /// <summary>An X API v2 place's <c>geo.bbox</c>: [west, south, east, north].</summary>
    public static GeoBox? BoundingBox(JsonElement bbox)
    {
        if (bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4
            || !Number(bbox[0], out var west) || !Number(bbox[1], out var south)
            || !Number(bbox[2], out var east) || !Number(bbox[3], out var north)
            || !OnTheGlobe(south, west) || !OnTheGlobe(north, east) || south > north || west > east)
            return null;
        return new GeoBox(south, west, north, east);
    }

    /// <summary>The box round CAP polygons and circles (those that can be issued; others are left out).</summary>
    public static GeoBox? Of(IEnumerable<CapPolygon> polygons, IEnumerable<CapCircle> circles)
    {
        var boxes = polygons.Where(p => CapShapes.PolygonProblem(p) is null).Select(CapShapes.Bounds)
            .Concat(circles.Where(c => CapShapes.CircleProblem(c) is null).Select(CapShapes.Bounds)).ToList();
        return boxes.Count == 0 ? null : new GeoBox(boxes.Min(b => b.South), boxes.Min(b => b.West), boxes.Max(b => b.North), boxes.Max(b => b.East));
    }

    /// <summary>The box a stored post's extra names, or null.</summary>
    public static GeoBox? Read(JsonElement extra)
    {
        if (extra.ValueKind != JsonValueKind.Object)
            return null;
        double? Get(string name) => extra.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && double.TryParse(v.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) ? d : null;
        return Get("geo_south") is { } s && Get("geo_west") is { } w && Get("geo_north") is { } n && Get("geo_east") is { } e
            ? new GeoBox(s, w, n, e) : null;
    }

    // TryGetDouble throws on a string: a hostile payload must make no place, not a failed post.
    private static bool Number(JsonElement element, out double value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out value);
    }

    private static bool OnTheGlobe(double lat, double lon) => lat is >= -90 and <= 90 && lon is >= -180 and <= 180 && double.IsFinite(lat) && double.IsFinite(lon);

    // Plain decimal text (never an exponent): what the database's crisisdesk_degrees reads.
    private static string Degrees(double value) => Math.Round(value, 7).ToString("0.#######", CultureInfo.InvariantCulture);
}
