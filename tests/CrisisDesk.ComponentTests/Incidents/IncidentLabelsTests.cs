using CrisisDesk.Web.Features.Incidents;

namespace CrisisDesk.ComponentTests.Incidents;

public sealed class IncidentLabelsTests
{
    [Fact]
    public void Each_state_has_a_word()
    {
        Assert.Equal("Live", IncidentLabels.Status(new IncidentSummary()));
        Assert.Equal("Drill", IncidentLabels.Status(new IncidentSummary { IsDrill = true }));
        Assert.Equal("Closed", IncidentLabels.Status(new IncidentSummary { IsDrill = true, ClosedAt = DateTime.UtcNow }));
    }
}
