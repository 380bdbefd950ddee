using System.Globalization;
using System.Text.RegularExpressions;

namespace CrisisDesk.Web.Components.Layout;

/// <summary>Which incident a page belongs to, read from its address (/incidents/{id}/…, /review/{id}).</summary>
public static partial class IncidentRoutes
{
    public static int? IncidentIdIn(string baseRelativePath)
    {
        var match = IncidentPath().Match(baseRelativePath);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    [GeneratedRegex(@"^(?:incidents|review)/(\d+)(?:[/?#]|$)")]
    private static partial Regex IncidentPath();
}
