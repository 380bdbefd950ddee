using CrisisDesk.Core.Rumours;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>Rumour statuses, severities and the state of a rumour's rebuttal, in people's words with what each means.</summary>
public static class RumourLabels
{
    public static string Status(RumourStatus status) => RumourLifecycle.Label(status);

    public static string StatusHelp(RumourStatus status) => status switch
    {
        RumourStatus.New => "Just flagged: nobody has looked into it yet.",
        RumourStatus.Investigating => "Someone is checking the facts.",
        RumourStatus.ConfirmedFalse => "Checked and false: answer it with a rebuttal.",
        RumourStatus.ConfirmedTrue => "Checked and true: it is not a rumour to rebut.",
        RumourStatus.Unverified => "Checked, but the facts cannot be confirmed either way yet.",
        RumourStatus.Resolved => "Dealt with: answered, or no longer spreading.",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string Severity(RumourSeverity severity) => severity switch
    {
        RumourSeverity.Low => "Low harm",
        RumourSeverity.Medium => "Medium harm",
        RumourSeverity.High => "High harm",
        RumourSeverity.Critical => "Critical harm",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };

    public static string Severity(string stored) =>
        Enum.TryParse<RumourSeverity>(stored, out var severity) && Enum.IsDefined(severity) ? Severity(severity) : stored;

    /// <summary>Where the rumour's answer stands, from the rumour's side (rebuttal states as stored).</summary>
    public static string Rebuttal(string state) => state switch
    {
        "draft" => "Rebuttal being drafted",
        "submitted" => "Rebuttal awaiting approval",
        "approved" => "Rebuttal approved, not yet published",
        "rejected" => "Rebuttal sent back by the approver",
        "published" => "Rebuttal published",
        var other => "Rebuttal: " + other,
    };
}
