namespace CrisisDesk.Web.Features.Incidents;

/// <summary>An incident's state in people's words.</summary>
public static class IncidentLabels
{
    public static string Status(IncidentSummary incident) =>
        incident.ClosedAt is not null ? "Closed" : incident.IsDrill ? "Drill" : "Live";
}
