namespace CrisisDesk.Web.Features.Drill;

/// <summary>A bundled real data set a drill can replay.</summary>
public sealed record DrillDataSet(string Title, string RelativePath, string Format, string SourceName, string[] Keywords, string Area)
{
    public static readonly DrillDataSet Germanwings = new(
        "Germanwings 9525 (PHEME replay)",
        "Features/Drill/Data/germanwings-crash.rumours.json",
        CrisisDesk.Core.Ingest.Formats.XV1TweetFormat.Name,
        "PHEME Germanwings rumour tweets",
        ["germanwings", "4U9525", "Alps", "crash"],
        "French Alps");
}
