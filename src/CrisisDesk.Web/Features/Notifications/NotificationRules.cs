using CrisisDesk.Web.Features.Account;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>The kinds of thing a person can be told about, as stored in <c>notification_rules.kind</c>.</summary>
public static class NotificationKinds
{
    public const string Spike = "spike";
    public const string Rumour = "rumour";
    public const string Approval = "approval";
    public const string Delivery = "delivery";
    public const string Source = "source";

    public static IReadOnlyList<string> All { get; } = [Spike, Rumour, Approval, Delivery, Source];

    public static string Label(string kind) => kind switch
    {
        Spike => "A spike in an incident",
        Rumour => "A new rumour",
        Approval => "Something waiting for my approval",
        Delivery => "A delivery that failed or was abandoned",
        Source => "A source that stopped",
        _ => kind,
    };
}

/// <summary>Rumour severities, least first (as <c>rumours.severity</c>).</summary>
public static class RumourSeverities
{
    public static IReadOnlyList<string> All { get; } = ["Low", "Medium", "High", "Critical"];

    public static bool AtLeast(string severity, string? minimum) =>
        minimum is null || IndexOf(severity) >= IndexOf(minimum);

    private static int IndexOf(string severity)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i], severity, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }
}

/// <summary>One person's choice for one kind: which ways to be told, and for rumours the least severity.</summary>
public sealed record NotificationRule(string Kind, bool InApp, bool Email, bool Sms, string? MinSeverity = null)
{
    public bool Any => InApp || Email || Sms;

    /// <summary>In words, for the event log: "approval: in-app, email".</summary>
    public string Describe()
    {
        var ways = new List<string>();
        if (InApp)
            ways.Add("in-app");
        if (Email)
            ways.Add("email");
        if (Sms)
            ways.Add("SMS");
        var text = $"{Kind}: {(ways.Count == 0 ? "off" : string.Join(", ", ways))}";
        return MinSeverity is null || Kind != NotificationKinds.Rumour ? text : $"{text} ({MinSeverity} and above)";
    }
}

/// <summary>
/// What each role hears about until a person chooses otherwise. Approvers are told of approvals by email too (the
/// point of the feature: a duty officer away from the war room); everything else starts in the app only, so nobody's
/// phone rings until they ask for it.
/// </summary>
public static class RoleDefaults
{
    public static IReadOnlyList<NotificationRule> For(string role)
    {
        var atLeastOperator = Roles.AtLeast(Roles.Operator).Contains(role);
        var atLeastApprover = Roles.AtLeast(Roles.Approver).Contains(role);
        return
        [
            new(NotificationKinds.Spike, InApp: atLeastOperator, Email: false, Sms: false),
            new(NotificationKinds.Rumour, InApp: atLeastOperator, Email: false, Sms: false, MinSeverity: "High"),
            new(NotificationKinds.Approval, InApp: atLeastApprover, Email: atLeastApprover, Sms: false),
            new(NotificationKinds.Delivery, InApp: atLeastOperator, Email: false, Sms: false),
            new(NotificationKinds.Source, InApp: role == Roles.Admin, Email: false, Sms: false),
        ];
    }
}

/// <summary>Quiet hours: a daily window (possibly over midnight) in a time zone, when only urgent news goes by email or SMS.</summary>
public sealed record QuietHours(TimeOnly From, TimeOnly Until, string TimeZone)
{
    public bool Contains(DateTimeOffset now)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var found) ? found : TimeZoneInfo.Utc;
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        return From <= Until ? local >= From && local < Until : local >= From || local < Until;
    }

    public override string ToString() => $"{From:HH\\:mm}-{Until:HH\\:mm} {TimeZone}";
}
