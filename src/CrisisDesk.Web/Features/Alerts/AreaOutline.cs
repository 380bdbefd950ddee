using System.Globalization;
using System.Text;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>
/// Draws an alert's polygons and circles as an SVG outline, on the server: no map tiles are needed (or reachable),
/// yet a misplaced point or a swapped latitude and longitude shows at once. Equirectangular projection scaled by the
/// cosine of the mean latitude, so shapes keep their proportions at the area's latitude.
/// </summary>
public static class AreaOutline
{
    private const double Size = 240;
    private const double Margin = 10;

    public static string? Svg(IEnumerable<CapArea> areas)
    {
        var list = areas.ToList();
        var points = list.SelectMany(a => a.Polygons.SelectMany(p => p.Points).Select(p => ((double)p.Latitude, (double)p.Longitude))
            .Concat(a.Circles.SelectMany(c => CircleBounds(c)))).ToList();
        if (points.Count == 0)
            return null;
        var minLat = points.Min(p => p.Item1);
        var maxLat = points.Max(p => p.Item1);
        var minLon = points.Min(p => p.Item2);
        var maxLon = points.Max(p => p.Item2);
        var cos = Math.Max(0.05, Math.Cos((minLat + maxLat) / 2 * Math.PI / 180));
        var width = Math.Max((maxLon - minLon) * cos, 1e-6);
        var height = Math.Max(maxLat - minLat, 1e-6);
        var scale = (Size - 2 * Margin) / Math.Max(width, height);
        string X(double lon) => F(Margin + (lon - minLon) * cos * scale);
        string Y(double lat) => F(Size - Margin - (lat - minLat) * scale);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Size} {Size}\" width=\"{Size}\" height=\"{Size}\" role=\"img\" aria-label=\"Outline of the alert areas\" class=\"area-outline\">");
        svg.Append("<rect width=\"100%\" height=\"100%\" style=\"fill:var(--mud-palette-background-gray,#f5f7fa);stroke:var(--mud-palette-lines-default,#c8d0da)\"/>");
        foreach (var area in list)
        {
            foreach (var polygon in area.Polygons)
                svg.Append("<polygon points=\"").AppendJoin(' ', polygon.Points.Select(p => X((double)p.Longitude) + "," + Y((double)p.Latitude)))
                   .Append("\" style=\"fill:rgba(200,30,30,0.25);stroke:var(--mud-palette-error,#b00)\" stroke-width=\"1.5\"/>");
            foreach (var circle in area.Circles)
            {
                var r = (double)circle.RadiusKm / 111.32 * scale;
                svg.Append(CultureInfo.InvariantCulture, $"<ellipse cx=\"{X((double)circle.Centre.Longitude)}\" cy=\"{Y((double)circle.Centre.Latitude)}\" rx=\"{F(r)}\" ry=\"{F(r)}\" style=\"fill:rgba(30,80,200,0.2);stroke:var(--mud-palette-info,#1f4fbf)\" stroke-width=\"1.5\"/>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static IEnumerable<(double, double)> CircleBounds(CapCircle circle)
    {
        var lat = (double)circle.Centre.Latitude;
        var lon = (double)circle.Centre.Longitude;
        var dLat = (double)circle.RadiusKm / 111.32;
        var dLon = dLat / Math.Max(0.05, Math.Cos(lat * Math.PI / 180));
        return [(lat - dLat, lon - dLon), (lat + dLat, lon + dLon)];
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
