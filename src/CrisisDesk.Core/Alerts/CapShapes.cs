using System.Globalization;

namespace CrisisDesk.Core.Alerts;

/// <summary>A point as a map gives it: latitude and longitude in degrees (WGS 84).</summary>
public readonly record struct GeoPoint(double Latitude, double Longitude);

/// <summary>
/// CAP area text ↔ geometry, both ways, with one plain message per thing wrong. A polygon or circle read here is one
/// that can be issued: readable, closed, at least four pairs, on the globe, not crossing itself and not crossing the
/// antimeridian (CAP has no convention for which way an edge goes round the globe, so a receiver could draw the
/// other half of the world).
/// </summary>
public static class CapShapes
{
    /// <summary>Decimal places kept from a drawn point: 5 is about a metre, finer than anyone can draw.</summary>
    public const int DrawnDecimals = 5;

    private const double KmPerDegreeLatitude = 111.32;

    /// <summary>Reads one polygon as CAP writes it, or says why it cannot be issued.</summary>
    public static CapPolygon? ReadPolygon(string text, out string? problem)
    {
        problem = null;
        var pairs = CapText.SplitWhitespace(text);
        if (pairs.Count == 0)
        {
            problem = "the polygon is empty: give latitude,longitude pairs separated by spaces";
            return null;
        }
        var points = new List<CapPoint>(pairs.Count);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (!CapPoint.TryParse(pairs[i], out var point))
            {
                problem = $"pair {i + 1} '{pairs[i]}' is not a latitude,longitude pair in decimal degrees (pairs are separated by spaces)";
                return null;
            }
            points.Add(point);
        }
        var polygon = new CapPolygon(new EquatableList<CapPoint>(points));
        problem = PolygonProblem(polygon);
        return problem is null ? polygon : null;
    }

    /// <summary>Reads one circle as CAP writes it (<c>lat,lon radius-km</c>), or says why it cannot be issued.</summary>
    public static CapCircle? ReadCircle(string text, out string? problem)
    {
        problem = null;
        var parts = CapText.SplitWhitespace(text);
        if (parts.Count != 2 || !CapPoint.TryParse(parts[0], out var centre))
        {
            problem = $"'{text.Trim()}' should be 'latitude,longitude radius-in-km', for example '51.5,-0.12 2.5'";
            return null;
        }
        if (!CapNumber.TryParse(parts[1], out var radius))
        {
            problem = $"radius '{parts[1]}' is not a number of kilometres";
            return null;
        }
        var circle = new CapCircle(centre, radius);
        problem = CircleProblem(circle);
        return problem is null ? circle : null;
    }

    /// <summary>Why this polygon cannot be issued, or null. Checks are in the order a person would fix them.</summary>
    public static string? PolygonProblem(CapPolygon polygon)
    {
        var points = polygon.Points;
        for (var i = 0; i < points.Count; i++)
        {
            if (PointProblem(points[i]) is { } bad)
                return $"pair {i + 1}: {bad}";
        }
        if (points.Count < 4)
            return $"the polygon has {points.Count} pair{(points.Count == 1 ? "" : "s")}; it needs at least 4, the last repeating the first";
        if (points[0] != points[^1])
            return $"the polygon is not closed: end it with its first pair ({points[0]}), not {points[^1]}";
        for (var i = 0; i + 1 < points.Count; i++)
        {
            if (Math.Abs(points[i + 1].Longitude - points[i].Longitude) > 180)
                return $"the polygon crosses the antimeridian (longitude 180) between pair {i + 1} and pair {i + 2}; draw it as two polygons, one on each side";
        }
        if (Crossing(points) is { } crossing)
            return $"the polygon crosses itself: the edge from pair {crossing.A + 1} to {crossing.A + 2} crosses the edge from pair {crossing.B + 1} to {crossing.B + 2}";
        return null;
    }

    /// <summary>Why this circle cannot be issued, or null.</summary>
    public static string? CircleProblem(CapCircle circle)
    {
        if (PointProblem(circle.Centre) is { } bad)
            return "centre: " + bad;
        if (circle.RadiusKm < 0)
            return $"radius {circle.RadiusKm.ToString(CultureInfo.InvariantCulture)} km is negative; it must be 0 or more kilometres";
        var (west, east) = LongitudeSpan(circle);
        if (west < -180 || east > 180)
            return "the circle crosses the antimeridian (longitude 180); move its centre or make it smaller, or draw one area on each side";
        return null;
    }

    /// <summary>The CAP text of a ring drawn on a map: rounded to about a metre and closed if it was not.</summary>
    public static CapPolygon PolygonFrom(IEnumerable<GeoPoint> ring)
    {
        var points = ring.Select(Round).ToList();
        // A drawn ring often repeats a point where a click landed twice; CAP does not need the stutter.
        for (var i = points.Count - 1; i > 0; i--)
        {
            if (points[i] == points[i - 1])
                points.RemoveAt(i);
        }
        if (points.Count > 0 && points[0] != points[^1])
            points.Add(points[0]);
        return new CapPolygon(new EquatableList<CapPoint>(points));
    }

    /// <summary>The CAP circle of a circle drawn on a map (radius in metres, as Leaflet gives it).</summary>
    public static CapCircle CircleFrom(GeoPoint centre, double radiusMetres) =>
        new(Round(centre), Math.Round((decimal)radiusMetres / 1000m, 3, MidpointRounding.AwayFromZero));

    /// <summary>The ring as a map wants it.</summary>
    public static IReadOnlyList<GeoPoint> Ring(CapPolygon polygon) =>
        [.. polygon.Points.Select(p => new GeoPoint((double)p.Latitude, (double)p.Longitude))];

    /// <summary>Whether a point lies inside the polygon (even-odd rule; a point on an edge counts as inside).</summary>
    public static bool Contains(CapPolygon polygon, GeoPoint point)
    {
        var ring = Ring(polygon);
        var inside = false;
        for (int i = 0, j = ring.Count - 1; i < ring.Count; j = i++)
        {
            var a = ring[i];
            var b = ring[j];
            if (OnSegment(a, b, point))
                return true;
            if ((a.Latitude > point.Latitude) != (b.Latitude > point.Latitude)
                && point.Longitude < (b.Longitude - a.Longitude) * (point.Latitude - a.Latitude) / (b.Latitude - a.Latitude) + a.Longitude)
                inside = !inside;
        }
        return inside;
    }

    /// <summary>Whether a point lies inside the circle (great-circle distance).</summary>
    public static bool Contains(CapCircle circle, GeoPoint point) =>
        DistanceKm(new GeoPoint((double)circle.Centre.Latitude, (double)circle.Centre.Longitude), point) <= (double)circle.RadiusKm;

    /// <summary>Haversine distance on a sphere of the Earth's mean radius.</summary>
    public static double DistanceKm(GeoPoint a, GeoPoint b)
    {
        const double R = 6371.0088;
        var dLat = Radians(b.Latitude - a.Latitude);
        var dLon = Radians(b.Longitude - a.Longitude);
        var h = Math.Sin(dLat / 2) * Math.Sin(dLat / 2)
            + Math.Cos(Radians(a.Latitude)) * Math.Cos(Radians(b.Latitude)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * R * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>South, west, north, east of a polygon.</summary>
    public static GeoBox Bounds(CapPolygon polygon) => new(
        (double)polygon.Points.Min(p => p.Latitude), (double)polygon.Points.Min(p => p.Longitude),
        (double)polygon.Points.Max(p => p.Latitude), (double)polygon.Points.Max(p => p.Longitude));

    /// <summary>South, west, north, east of a circle (clamped to the globe).</summary>
    public static GeoBox Bounds(CapCircle circle)
    {
        var dLat = (double)circle.RadiusKm / KmPerDegreeLatitude;
        var (west, east) = LongitudeSpan(circle);
        var lat = (double)circle.Centre.Latitude;
        return new GeoBox(Math.Max(-90, lat - dLat), Math.Max(-180, west), Math.Min(90, lat + dLat), Math.Min(180, east));
    }

    private static (double West, double East) LongitudeSpan(CapCircle circle)
    {
        var lat = (double)circle.Centre.Latitude;
        var lon = (double)circle.Centre.Longitude;
        var cos = Math.Cos(Radians(lat));
        // Within a radius of a pole every longitude is reached; that is no crossing of one meridian, so keep it in range.
        var dLon = cos < 1e-9 ? 0 : (double)circle.RadiusKm / (KmPerDegreeLatitude * cos);
        if (dLon >= 180)
            return (-180, 180);
        return (lon - dLon, lon + dLon);
    }

    private static string? PointProblem(CapPoint point)
    {
        if (point.Latitude is < -90 or > 90)
            return $"latitude {point.Latitude.ToString(CultureInfo.InvariantCulture)} is beyond ±90 (pairs are latitude first, then longitude)";
        if (point.Longitude is < -180 or > 180)
            return $"longitude {point.Longitude.ToString(CultureInfo.InvariantCulture)} is beyond ±180";
        return null;
    }

    private static CapPoint Round(GeoPoint point) => new(
        Math.Round((decimal)point.Latitude, DrawnDecimals, MidpointRounding.AwayFromZero),
        Math.Round((decimal)point.Longitude, DrawnDecimals, MidpointRounding.AwayFromZero));

    private static double Radians(double degrees) => degrees * Math.PI / 180;

    /// <summary>The first two edges of a closed ring that touch or cross, other than neighbours at their shared point.</summary>
    private static (int A, int B)? Crossing(IReadOnlyList<CapPoint> closed)
    {
        // Repeated consecutive points make zero-length edges; they are a stutter, not a crossing.
        var ring = new List<(int Index, GeoPoint Point)>();
        for (var i = 0; i < closed.Count; i++)
        {
            if (ring.Count == 0 || closed[i] != closed[ring[^1].Index])
                ring.Add((i, new GeoPoint((double)closed[i].Latitude, (double)closed[i].Longitude)));
        }
        var edges = ring.Count - 1;
        for (var a = 0; a < edges; a++)
        {
            for (var b = a + 1; b < edges; b++)
            {
                var neighbours = b == a + 1 || (a == 0 && b == edges - 1);
                var p1 = ring[a].Point;
                var p2 = ring[a + 1].Point;
                var q1 = ring[b].Point;
                var q2 = ring[b + 1].Point;
                if (neighbours ? OverlapAtShared(p1, p2, q1, q2, b == a + 1) : Intersect(p1, p2, q1, q2))
                    return (ring[a].Index, ring[b].Index);
            }
        }
        return null;
    }

    /// <summary>Neighbouring edges share a point; they go wrong only if one doubles back along the other.</summary>
    private static bool OverlapAtShared(GeoPoint p1, GeoPoint p2, GeoPoint q1, GeoPoint q2, bool consecutive)
    {
        // consecutive: p2 == q1, so check q2 on p1-p2 or p1 on q1-q2; otherwise (first and last edge) q2 == p1.
        return consecutive
            ? Cross(p1, p2, q2) == 0 && (OnSegment(p1, p2, q2) || OnSegment(q1, q2, p1))
            : Cross(q1, q2, p2) == 0 && (OnSegment(q1, q2, p2) || OnSegment(p1, p2, q1));
    }

    private static bool Intersect(GeoPoint p1, GeoPoint p2, GeoPoint q1, GeoPoint q2)
    {
        var d1 = Math.Sign(Cross(q1, q2, p1));
        var d2 = Math.Sign(Cross(q1, q2, p2));
        var d3 = Math.Sign(Cross(p1, p2, q1));
        var d4 = Math.Sign(Cross(p1, p2, q2));
        if (d1 * d2 < 0 && d3 * d4 < 0)
            return true;
        return (d1 == 0 && OnSegment(q1, q2, p1)) || (d2 == 0 && OnSegment(q1, q2, p2))
            || (d3 == 0 && OnSegment(p1, p2, q1)) || (d4 == 0 && OnSegment(p1, p2, q2));
    }

    private static double Cross(GeoPoint o, GeoPoint a, GeoPoint b) =>
        (a.Longitude - o.Longitude) * (b.Latitude - o.Latitude) - (a.Latitude - o.Latitude) * (b.Longitude - o.Longitude);

    private static bool OnSegment(GeoPoint a, GeoPoint b, GeoPoint p) =>
        Math.Abs(Cross(a, b, p)) < 1e-12
        && p.Longitude >= Math.Min(a.Longitude, b.Longitude) && p.Longitude <= Math.Max(a.Longitude, b.Longitude)
        && p.Latitude >= Math.Min(a.Latitude, b.Latitude) && p.Latitude <= Math.Max(a.Latitude, b.Latitude);
}

/// <summary>A latitude/longitude box: what an index can find quickly before an exact test.</summary>
public readonly record struct GeoBox(double South, double West, double North, double East)
{
    public bool Contains(GeoPoint point) =>
        point.Latitude >= South && point.Latitude <= North && point.Longitude >= West && point.Longitude <= East;
}
