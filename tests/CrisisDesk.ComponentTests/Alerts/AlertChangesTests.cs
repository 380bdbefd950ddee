using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Alerts;

namespace CrisisDesk.ComponentTests.Alerts;

public sealed class AlertChangesTests
{
    [Fact]
    public void Only_the_fields_people_read_that_differ_are_listed_in_words()
    {
        var before = AlertSamples.Cap();
        var after = before with
        {
            MsgType = CapMsgType.Update,
            Infos = new([before.Infos[0] with { Severity = CapSeverity.Extreme, Instruction = "Leave by the A64." }]),
        };

        var changes = AlertChanges.Between(before, after);

        Assert.Equal(["Instruction", "Severity"], changes.Select(c => c.Field).Order().ToArray());
        var severity = changes.Single(c => c.Field == "Severity");
        Assert.Equal("Severe", severity.Before);
        Assert.Equal("Extreme: threat to life (Extreme)", severity.After);
    }

    [Fact]
    public void A_moved_polygon_is_a_change_even_under_the_same_area_name()
    {
        var before = AlertSamples.Cap();
        var moved = AlertSamples.Form();
        moved.Infos[0].Areas[0].Polygons = "53.96,-1.08 53.97,-1.07 53.95,-1.06 53.96,-1.08";

        Assert.Equal(["Areas"], AlertChanges.Between(before, moved.TryBuild(out _)!).Select(c => c.Field).ToArray());
    }
}
