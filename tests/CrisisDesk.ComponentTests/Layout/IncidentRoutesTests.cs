using CrisisDesk.Web.Components.Layout;

namespace CrisisDesk.ComponentTests.Layout;

public sealed class IncidentRoutesTests
{
    [Theory]
    [InlineData("incidents/12", 12)]
    [InlineData("incidents/12/rumours/3", 12)]
    [InlineData("incidents/12?tab=feed", 12)]
    [InlineData("review/4", 4)]
    [InlineData("", null)]
    [InlineData("admin/users", null)]
    [InlineData("incidents/x", null)]
    [InlineData("incidents/12abc", null)]
    public void The_incident_is_read_from_the_address(string path, int? expected) =>
        Assert.Equal(expected, IncidentRoutes.IncidentIdIn(path));
}
