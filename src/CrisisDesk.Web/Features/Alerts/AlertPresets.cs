using CrisisDesk.Core.Alerts;

namespace CrisisDesk.Web.Features.Alerts;

/// <summary>A common alert's wording and CAP codes, to start from rather than to send as it is.</summary>
public sealed record AlertPreset(
    string Key, string Name, string Event, CapCategory[] Categories, CapResponseType[] Responses,
    CapUrgency Urgency, CapSeverity Severity, CapCertainty Certainty, string Headline, string Description, string Instruction)
{
    /// <summary>
    /// Fills the "what" and "instructions" of the info block. Area, times, audience and anything already written in the
    /// description (say from a rumour) are kept: the preset cannot know them.
    /// </summary>
    public void ApplyTo(AlertForm.InfoForm info)
    {
        info.Event = Event;
        info.Categories = [.. Categories];
        info.ResponseTypes = [.. Responses];
        info.Urgency = Urgency;
        info.Severity = Severity;
        info.Certainty = Certainty;
        info.Headline = Headline;
        if (string.IsNullOrWhiteSpace(info.Description))
            info.Description = Description;
        info.Instruction = Instruction;
    }
}

public static class AlertPresets
{
    public static IReadOnlyList<AlertPreset> All { get; } =
    [
        new("flood-warning", "Flood warning", "Flood warning", [CapCategory.Met], [CapResponseType.Prepare, CapResponseType.Avoid],
            CapUrgency.Expected, CapSeverity.Severe, CapCertainty.Likely,
            "Flood warning: flooding is expected",
            "River levels are rising and flooding of homes and roads is expected.",
            "Move valuables and medicines upstairs. Do not walk or drive through flood water. Be ready to leave if told to."),
        new("evacuation-order", "Evacuation order", "Evacuation order", [CapCategory.Safety], [CapResponseType.Evacuate],
            CapUrgency.Immediate, CapSeverity.Extreme, CapCertainty.Observed,
            "Evacuate now",
            "There is an immediate danger to life in this area.",
            "Leave now by the routes given. Take medicines, phone and charger. Help neighbours if you can do so safely. Do not return until told it is safe."),
        new("shelter-in-place", "Shelter in place", "Shelter in place", [CapCategory.Safety], [CapResponseType.Shelter],
            CapUrgency.Immediate, CapSeverity.Severe, CapCertainty.Observed,
            "Go inside and stay inside",
            "A hazard in the area makes it unsafe to be outdoors.",
            "Go indoors now. Close windows and doors and turn off ventilation. Stay tuned to official channels until the all clear."),
        new("boil-water", "Boil-water notice", "Boil-water notice", [CapCategory.Health, CapCategory.Infra], [CapResponseType.Execute],
            CapUrgency.Expected, CapSeverity.Moderate, CapCertainty.Likely,
            "Boil tap water before drinking",
            "The tap water supply in this area may be contaminated.",
            "Boil tap water and let it cool before drinking, brushing teeth or preparing food. Bottled water is safe."),
        new("all-clear", "All clear", "All clear", [CapCategory.Safety], [CapResponseType.AllClear],
            CapUrgency.Past, CapSeverity.Minor, CapCertainty.Observed,
            "All clear: the danger has passed",
            "The earlier warning for this area is no longer in force.",
            "You can resume normal activity. Follow official channels for any further advice."),
    ];

    public static AlertPreset? Find(string key) => All.FirstOrDefault(p => p.Key == key);
}
