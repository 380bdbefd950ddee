using System.ComponentModel.DataAnnotations;

namespace CrisisDesk.Web.Features.Incidents;

/// <summary>The open-an-incident form; the same limits as <see cref="IncidentCommands.OpenAsync"/>, told beside each field.</summary>
public sealed class OpenIncidentModel
{
    [Required(ErrorMessage = "Give the incident a name.")]
    [StringLength(200, MinimumLength = 3, ErrorMessage = "A name has 3 to 200 characters.")]
    public string Name { get; set; } = "";

    [StringLength(1000, ErrorMessage = "Keep the keywords under 1,000 characters.")]
    public string Keywords { get; set; } = "";

    [StringLength(200, ErrorMessage = "An area has at most 200 characters.")]
    public string Area { get; set; } = "";

    /// <summary>The area drawn on the map: CAP polygons and circles as text (plain strings, so that a paused circuit keeps them).</summary>
    public List<string> AreaPolygons { get; set; } = [];
    public List<string> AreaCircles { get; set; } = [];

    public bool AddSourcesNext { get; set; }

    public IReadOnlyList<string> KeywordList() =>
        Keywords.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
