using System.Globalization;
using CrisisDesk.Web.Features.Triage;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A spike in words: what rose, to how many posts, in which minute, against what usual rate.</summary>
public static class SpikeWords
{
    public static string Describe(SpikeNotice spike) =>
        $"{spike.Label} — {spike.Count} posts in {spike.Minute.ToString("HH:mm", CultureInfo.InvariantCulture)} (baseline {spike.BaselineMean.ToString("0.0", CultureInfo.InvariantCulture)}/min)";
}
