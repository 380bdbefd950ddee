using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Publishing;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>One field that differs between two versions of an alert, in words.</summary>
public sealed record AlertChange(string Field, string Before, string After);

/// <summary>
/// What an Update (or Cancel) changes against the last issued message of its thread: what an approver must check
/// before issuing it. Compares the fields people read (the first info block and the alert's handling), not the XML.
/// </summary>
public static class AlertChanges
{
    public static IReadOnlyList<AlertChange> Between(CapAlert previous, CapAlert current)
    {
        var changes = new List<AlertChange>();
        void Compare(string field, string? before, string? after)
        {
            if (!string.Equals(before ?? "", after ?? "", StringComparison.Ordinal))
                changes.Add(new(field, Show(before), Show(after)));
        }
        Compare("Status", AlertLabels.WithCap(previous.Status), AlertLabels.WithCap(current.Status));
        Compare("Who it is for", AlertLabels.WithCap(previous.Scope), AlertLabels.WithCap(current.Scope));
        var before = previous.Infos.FirstOrDefault();
        var after = current.Infos.FirstOrDefault();
        Compare("Event", before?.Event, after?.Event);
        Compare("Headline", before?.Headline, after?.Headline);
        Compare("Description", before?.Description, after?.Description);
        Compare("Instruction", before?.Instruction, after?.Instruction);
        Compare("Urgency", Code(before?.Urgency), Code(after?.Urgency));
        Compare("Severity", Code(before?.Severity), Code(after?.Severity));
        Compare("Certainty", Code(before?.Certainty), Code(after?.Certainty));
        Compare("Category", Codes(before?.Categories), Codes(after?.Categories));
        Compare("Response", Codes(before?.ResponseTypes), Codes(after?.ResponseTypes));
        Compare("Audience", before?.Audience, after?.Audience);
        Compare("Starts (onset)", Time(before?.Onset), Time(after?.Onset));
        Compare("Ends (expires)", Time(before?.Expires), Time(after?.Expires));
        Compare("Areas", Areas(before), Areas(after));
        Compare("Wireless alert text", Parameter(before, CapParameters.WeaShortText), Parameter(after, CapParameters.WeaShortText));
        Compare("Languages", previous.Infos.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), current.Infos.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return changes;
    }

    private static string Show(string? text) => string.IsNullOrWhiteSpace(text) ? "(none)" : text;

    private static string? Code(Enum? value) => value is null ? null : AlertLabels.WithCap(value);

    private static string? Codes<T>(IEnumerable<T>? values) where T : struct, Enum =>
        values is null ? null : string.Join(", ", values.Select(v => AlertLabels.WithCap(v)));

    private static string? Time(DateTimeOffset? value) => value is { } v ? CapDateTime.Format(v) : null;

    private static string? Parameter(CapInfo? info, string name) => info?.Parameters.FirstOrDefault(p => p.ValueName == name)?.Value;

    /// <summary>Each area's name and its shapes, so a moved polygon counts as a change even under the same name.</summary>
    private static string? Areas(CapInfo? info) => info is null ? null : string.Join("; ", info.Areas.Select(a =>
        $"{a.AreaDesc} [{string.Join(" ", a.Polygons.Select(p => p.ToString()))}{(a.Circles.Count > 0 ? " " : "")}{string.Join(" ", a.Circles.Select(c => c.ToString()))}]"));
}
