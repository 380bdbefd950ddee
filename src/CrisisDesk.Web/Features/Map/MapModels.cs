using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Web.Features.Map;

/// <summary>Polygons and circles as CAP writes them: what an area on a map is, drawn or read.</summary>
public sealed record MapShapes(EquatableList<CapPolygon> Polygons, EquatableList<CapCircle> Circles)
{
    public static readonly MapShapes Empty = new([], []);

    public bool IsEmpty => Polygons.Count == 0 && Circles.Count == 0;
}

/// <summary>An area shown read-only: an alert's area, an incident's area, another agency's alert.</summary>
/// <param name="Colour">A CSS colour for its outline and fill.</param>
public sealed record MapArea(string Label, string Colour, MapShapes Shapes);

/// <summary>A point of interest (a located post), clustered when many are close together.</summary>
public sealed record MapMarker(long Id, double Latitude, double Longitude, string Label);

/// <summary>The wire form of shapes between the browser and the server: [lat, lon] pairs, radius in metres.</summary>
public sealed class MapShapesWire
{
    public List<List<double[]>> Polygons { get; set; } = [];
    public List<MapCircleWire> Circles { get; set; } = [];

    public static MapShapesWire From(MapShapes shapes) => new()
    {
        Polygons = [.. shapes.Polygons.Select(p => p.Points.Select(x => new[] { (double)x.Latitude, (double)x.Longitude }).ToList())],
        Circles = [.. shapes.Circles.Select(c => new MapCircleWire { Lat = (double)c.Centre.Latitude, Lon = (double)c.Centre.Longitude, Radius = (double)c.RadiusKm * 1000 })],
    };

    /// <summary>The CAP shapes of what was drawn: rounded to about a metre, rings closed.</summary>
    public MapShapes ToShapes() => new(
        new([.. Polygons.Where(p => p.Count >= 3).Select(p => CapShapes.PolygonFrom(p.Where(x => x.Length >= 2).Select(x => new GeoPoint(x[0], x[1]))))]),
        new([.. Circles.Select(c => CapShapes.CircleFrom(new GeoPoint(c.Lat, c.Lon), c.Radius))]));
}

public sealed class MapCircleWire
{
    public double Lat { get; set; }
    public double Lon { get; set; }

    /// <summary>Metres, as Leaflet measures circles.</summary>
    public double Radius { get; set; }
}
