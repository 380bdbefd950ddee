using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Alerts;

namespace CrisisDesk.UnitTests.Rebuttals;

public sealed class AlertFormTests
{
    [Fact]
    public void Unreadable_coordinates_and_dates_are_named_by_field_in_plain_words()
    {
        var form = new AlertForm();
        form.Infos[0].Event = "Flood";
        form.Infos[0].Expires = "2026-11-21T14:00:00Z";
        form.Infos[0].Areas[0].AreaDesc = "Town";
        form.Infos[0].Areas[0].Polygons = "53.9,-1.0 53.91,-1.0 oops";
        form.Infos[0].Areas[0].Circles = "53.9,-1.0";

        Assert.Null(form.TryBuild(out var problems));

        Assert.Equal(["info[1].area[1].circle[1]", "info[1].area[1].polygon[1]", "info[1].expires"], problems.Select(p => p.Path).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains(problems, p => p.Message.Contains("'Z'", StringComparison.Ordinal));
        Assert.Equal("Info 1 › Area 1 › Polygon 1", AlertForm.Describe("info[1].area[1].polygon[1]"));
    }

    [Fact]
    public void A_composed_alert_round_trips_through_the_form_with_its_wireless_texts()
    {
        var form = new AlertForm();
        var info = form.Infos[0];
        info.Event = "Flood";
        info.Headline = "Evacuate now";
        info.WeaShortText = "Flood: evacuate now";
        info.Effective = "2026-11-21T14:00:00+00:00";
        info.Areas[0].AreaDesc = "Town";
        info.Areas[0].Polygons = "53.9,-1.0 53.91,-1.0 53.9,-1.01 53.9,-1.0";
        info.Areas[0].Circles = "53.9,-1.0 2.5";
        info.Areas[0].Geocodes = "ONS=E06000014";

        var alert = form.TryBuild(out var problems)!;
        var again = AlertForm.From(alert).TryBuild(out _)!;

        Assert.Empty(problems);
        Assert.Equal(alert.Infos, again.Infos);
        Assert.Contains(alert.Infos[0].Parameters, p => p.ValueName == "CMAMtext" && p.Value == "Flood: evacuate now");
        Assert.Equal(4, alert.Infos[0].Areas[0].Polygons[0].Points.Count);
    }
}
