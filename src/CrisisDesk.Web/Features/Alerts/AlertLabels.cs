using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>A CAP code value in people's words, with a one-line explanation for the tooltip.</summary>
public sealed record CapLabel(string Label, string Hint);

/// <summary>
/// People's words for every CAP 1.2 code value and for an alert's workflow state. The CAP value itself stays visible
/// beside the label (specialists read CAP), so these never replace it in the document, only on screen.
/// </summary>
public static class AlertLabels
{
    private static readonly Dictionary<Enum, CapLabel> Labels = new()
    {
        [CapStatus.Actual] = new("Real alert", "Goes to the public and should be acted on."),
        [CapStatus.Exercise] = new("Exercise", "A drill: only exercise participants should act on it."),
        [CapStatus.System] = new("System message", "For the alerting network itself, not for people."),
        [CapStatus.Test] = new("Technical test", "A test of the channels; everyone should ignore it."),
        [CapStatus.Draft] = new("Draft, not for action", "A preliminary template; nobody should act on it."),

        [CapMsgType.Alert] = new("New alert", "The first message of an alert."),
        [CapMsgType.Update] = new("Update", "Replaces the earlier messages of this alert."),
        [CapMsgType.Cancel] = new("Cancellation", "Withdraws the earlier messages of this alert."),
        [CapMsgType.Ack] = new("Acknowledgement", "Confirms that a message was received."),
        [CapMsgType.Error] = new("Error notice", "Says an earlier message was sent in error."),

        [CapScope.Public] = new("Everyone", "The general public: no restriction."),
        [CapScope.Restricted] = new("Restricted group", "Only people allowed by the restriction you describe."),
        [CapScope.Private] = new("Named recipients", "Only the addresses you list."),

        [CapCategory.Geo] = new("Earthquake, landslide, volcano", "Geophysical events."),
        [CapCategory.Met] = new("Weather and flooding", "Meteorological events, including floods."),
        [CapCategory.Safety] = new("Public safety", "General emergency and public safety."),
        [CapCategory.Security] = new("Security and policing", "Law enforcement, military, homeland and local security."),
        [CapCategory.Rescue] = new("Rescue and recovery", "Rescue and recovery operations."),
        [CapCategory.Fire] = new("Fire", "Fire suppression and rescue."),
        [CapCategory.Health] = new("Health", "Medical and public health."),
        [CapCategory.Env] = new("Pollution and environment", "Pollution and other environmental hazards."),
        [CapCategory.Transport] = new("Transport", "Public and private transport."),
        [CapCategory.Infra] = new("Utilities and infrastructure", "Water, power, telecoms and other infrastructure."),
        [CapCategory.CBRNE] = new("Chemical, biological, nuclear, explosive", "Chemical, biological, radiological, nuclear or high-yield explosive threat or attack."),
        [CapCategory.Other] = new("Other", "None of the above."),

        [CapResponseType.Shelter] = new("Shelter in place", "Take shelter where you are."),
        [CapResponseType.Evacuate] = new("Evacuate", "Leave the area."),
        [CapResponseType.Prepare] = new("Get ready", "Make preparations."),
        [CapResponseType.Execute] = new("Carry out the plan", "Act on the pre-planned instructions."),
        [CapResponseType.Avoid] = new("Avoid the area", "Stay away from the hazard."),
        [CapResponseType.Monitor] = new("Stay informed", "Follow the news and official channels."),
        [CapResponseType.Assess] = new("Assess", "Evaluate the information in this message (not for the public)."),
        [CapResponseType.AllClear] = new("All clear", "The hazard has passed; resume normal activity."),
        [CapResponseType.None] = new("No action needed", "No action is recommended."),

        [CapUrgency.Immediate] = new("Act now", "Responsive action should be taken immediately."),
        [CapUrgency.Expected] = new("Act soon (within the hour)", "Responsive action should be taken soon."),
        [CapUrgency.Future] = new("Act in the near future", "Responsive action should be taken in the near future."),
        [CapUrgency.Past] = new("No longer needed", "Responsive action is no longer required."),
        [CapUrgency.Unknown] = new("Not known", "Urgency not known."),

        [CapSeverity.Extreme] = new("Extreme: threat to life", "Extraordinary threat to life or property."),
        [CapSeverity.Severe] = new("Severe", "Significant threat to life or property."),
        [CapSeverity.Moderate] = new("Moderate", "Possible threat to life or property."),
        [CapSeverity.Minor] = new("Minor", "Minimal to no known threat to life or property."),
        [CapSeverity.Unknown] = new("Not known", "Severity not known."),

        [CapCertainty.Observed] = new("Happening now", "Observed: determined to have occurred or to be ongoing."),
        [CapCertainty.Likely] = new("Likely", "More than 50% probable."),
        [CapCertainty.Possible] = new("Possible", "Possible but not likely (50% or less)."),
        [CapCertainty.Unlikely] = new("Unlikely", "Not expected to occur (about 0%)."),
        [CapCertainty.Unknown] = new("Not known", "Certainty not known."),
    };

    /// <summary>The label and explanation of a CAP code value; a value without one shows as itself (and fails the tests).</summary>
    public static CapLabel Of(Enum value) => Labels.TryGetValue(value, out var label) ? label : new(value.ToString(), value.ToString());

    public static string Label(Enum value) => Of(value).Label;

    public static bool IsLabelled(Enum value) => Labels.ContainsKey(value);

    /// <summary>"Act now (Immediate)": the people's words with the CAP value beside them.</summary>
    public static string WithCap(Enum value) => SameAsCap(value) ? Label(value) : $"{Label(value)} ({value})";

    /// <summary>The label already is the CAP value ("Fire"): saying it twice helps nobody.</summary>
    public static bool SameAsCap(Enum value) => string.Equals(Label(value), value.ToString(), StringComparison.OrdinalIgnoreCase);

    /// <summary>A CAP value stored as text (list rows keep it so); unknown text shows as itself.</summary>
    public static string WithCap<T>(string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, out var parsed) ? WithCap(parsed) : value;

    /// <summary>The alert's place in the two-person workflow, in words.</summary>
    public static string State(string state) => state switch
    {
        AlertRecord.Draft => "Draft",
        AlertRecord.Submitted => "Waiting for approval",
        AlertRecord.Approved => "Issued",
        AlertRecord.Rejected => "Sent back",
        _ => state,
    };
}
