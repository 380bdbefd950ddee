using System.Globalization;
using CrisisDesk.Core.Temperature;
using CrisisDesk.Web.Features.Triage;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A spike in words: what rose, to how many posts, in which minute, against what usual rate.</summary>
public static class SpikeWords
{
    public static string Describe(SpikeNotice spike) =>
        $"{spike.Label} — {spike.Count} posts in {spike.Minute.ToString("HH:mm", CultureInfo.InvariantCulture)} (baseline {spike.BaselineMean.ToString("0.0", CultureInfo.InvariantCulture)}/min)";

    public static string Describe(MoodShift shift) =>
        $"{Percent(shift.NegativeShare)} of {shift.Posts} posts negative in {shift.Minute.ToString("HH:mm", CultureInfo.InvariantCulture)} (usually {Percent(shift.BaselineShare)})";

    private static string Percent(double share) => (share * 100).ToString("0", CultureInfo.InvariantCulture) + " %";
}
