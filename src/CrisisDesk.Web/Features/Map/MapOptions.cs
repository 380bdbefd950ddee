using System.ComponentModel.DataAnnotations;

namespace CrisisDesk.Web.Features.Map;

/// <summary>Where the maps' background tiles come from (<c>CrisisDesk:Map</c>).</summary>
public sealed class MapOptions : IValidatableObject
{
    public const string Section = "CrisisDesk:Map";

    /// <summary>
    /// A Leaflet URL template (<c>{z}</c>, <c>{x}</c>, <c>{y}</c>, optionally <c>{s}</c>); empty for no tiles at all
    /// (an air-gapped room), when the bundled world map is all there is. The browser fetches the tiles itself.
    /// </summary>
    public string TileUrl { get; set; } = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

    /// <summary>The tile provider's attribution, as HTML (the provider's terms usually require it).</summary>
    public string Attribution { get; set; } = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";

    [Range(1, 22)]
    public int MaxZoom { get; set; } = 19;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TileUrl.Length > 0 && !(TileUrl.Contains("{z}", StringComparison.Ordinal) && TileUrl.Contains("{x}", StringComparison.Ordinal) && TileUrl.Contains("{y}", StringComparison.Ordinal)))
            yield return new ValidationResult($"{Section}:TileUrl must be a tile template with {{z}}, {{x}} and {{y}} (for example https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png), or empty for no tiles.", [nameof(TileUrl)]);
        if (TileUrl.Length > 0 && !TileUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !TileUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            yield return new ValidationResult($"{Section}:TileUrl must be an http(s) address.", [nameof(TileUrl)]);
    }
}

public static class MapExtensions
{
    /// <summary>The map's options: tile source and attribution.</summary>
    public static IHostApplicationBuilder AddMap(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MapOptions>().BindConfiguration(MapOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MapQueries>();
        return builder;
    }
}
