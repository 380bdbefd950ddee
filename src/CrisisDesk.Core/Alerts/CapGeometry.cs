using System.Globalization;
using System.Text.RegularExpressions;

namespace CrisisDesk.Core.Alerts;

/// <summary>A WGS 84 point as CAP writes it: <c>latitude,longitude</c> in decimal degrees.</summary>
/// <remarks>Decimal, not double, so that a coordinate read from a message is written back digit for digit.</remarks>
public readonly record struct CapPoint(decimal Latitude, decimal Longitude)
{
    public override string ToString() =>
        Latitude.ToString(CultureInfo.InvariantCulture) + "," + Longitude.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads <c>lat,lon</c>; says nothing about ranges (the validator does).</summary>
    public static bool TryParse(string text, out CapPoint point)
    {
        point = default;
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0 || !CapNumber.TryParse(text[..comma], out var lat) || !CapNumber.TryParse(text[(comma + 1)..], out var lon))
        {
            return false;
        }
        point = new CapPoint(lat, lon);
        return true;
    }
}

/// <summary>A CAP polygon: whitespace-separated points; CAP wants at least four and the last equal to the first.</summary>
public sealed record CapPolygon(EquatableList<CapPoint> Points)
{
    public override string ToString() => string.Join(' ', Points);

    public static bool TryParse(string text, out CapPolygon? polygon)
    {
        polygon = null;
        var points = new List<CapPoint>();
        foreach (var pair in CapText.SplitWhitespace(text))
        {
            if (!CapPoint.TryParse(pair, out var point))
            {
                return false;
            }
            points.Add(point);
        }
        if (points.Count == 0)
        {
            return false;
        }
        polygon = new CapPolygon(new EquatableList<CapPoint>(points));
        return true;
    }
}

/// <summary>A CAP circle: a centre point, a space, and a radius in kilometres.</summary>
public sealed record CapCircle(CapPoint Centre, decimal RadiusKm)
{
    public override string ToString() => Centre + " " + RadiusKm.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out CapCircle? circle)
    {
        circle = null;
        var parts = CapText.SplitWhitespace(text);
        if (parts.Count != 2 || !CapPoint.TryParse(parts[0], out var centre) || !CapNumber.TryParse(parts[1], out var radius))
        {
            return false;
        }
        circle = new CapCircle(centre, radius);
        return true;
    }
}

/// <summary>Plain decimal numbers as CAP uses them: optional sign, digits, optional fraction; no exponent, no grouping.</summary>
internal static partial class CapNumber
{
    [GeneratedRegex(@"^[-+]?(\d+(\.\d*)?|\.\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Form();

    public static bool TryParse(string text, out decimal value)
    {
        value = 0;
        return Form().IsMatch(text)
            && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>The small text conventions CAP lists share.</summary>
internal static class CapText
{
    public static List<string> SplitWhitespace(string text) =>
        [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// Splits a CAP space-delimited list (addresses, incidents), where an item holding whitespace is enclosed in
    /// double quotes. Returns null when a quote is left open.
    /// </summary>
    public static List<string>? SplitQuotedList(string text)
    {
        var items = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }
            if (text[i] == '"')
            {
                var close = text.IndexOf('"', i + 1);
                if (close < 0)
                {
                    return null;
                }
                items.Add(text[(i + 1)..close]);
                i = close + 1;
                continue;
            }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            items.Add(text[start..i]);
        }
        return items;
    }

    public static string JoinQuotedList(IEnumerable<string> items) =>
        string.Join(' ', items.Select(item => item.Any(char.IsWhiteSpace) ? "\"" + item + "\"" : item));
}
