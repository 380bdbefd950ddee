using CrisisDesk.Web.Features.Incidents;
using CrisisDesk.Web.Features.Map;
using Microsoft.AspNetCore.Components;

namespace CrisisDesk.ComponentTests.Incidents;

public sealed class OpenIncidentFormTests : ComponentTest
{
    private readonly List<OpenIncidentModel> _opened = [];

    private IRenderedComponent<OpenIncidentForm> Render(string? error = null) =>
        Context.Render<OpenIncidentForm>(p => p
            .Add(f => f.OnOpen, EventCallback.Factory.Create<OpenIncidentModel>(this, m => _opened.Add(m)))
            .Add(f => f.Error, error));

    private static void Type(IRenderedComponent<OpenIncidentForm> form, string selector, string text)
    {
        // Immediate fields listen to input, the others to change.
        try
        {
            form.Find(selector).Input(text);
        }
        catch (MissingEventHandlerException)
        {
            form.Find(selector).Change(text);
        }
        form.Find(selector).Blur();
    }

    [Fact]
    public void An_empty_name_is_refused_beside_the_field_and_nothing_is_sent()
    {
        var form = Render();

        form.Find("form").Submit();

        Assert.Contains("Give the incident a name.", form.Markup);
        Assert.Empty(_opened);
    }

    [Fact]
    public void A_name_too_short_says_how_long_it_must_be()
    {
        var form = Render();

        Type(form, "#incident-name", "ab");
        form.Find("form").Submit();

        Assert.Contains("A name has 3 to 200 characters.", form.Markup);
        Assert.Empty(_opened);
    }

    [Fact]
    public void A_valid_form_is_sent_with_its_keywords_split()
    {
        var form = Render();

        Type(form, "#incident-name", "River Wey flooding");
        Type(form, "#incident-keywords", "flood, #stormx , river");
        Type(form, "#incident-area", "Guildford");
        form.Find("form").Submit();

        var opened = Assert.Single(_opened);
        Assert.Equal("River Wey flooding", opened.Name);
        Assert.Equal(["flood", "#stormx", "river"], opened.KeywordList());
        Assert.Equal("Guildford", opened.Area);
        Assert.DoesNotContain("mud-input-error", form.Markup);
    }

    [Fact]
    public async Task An_area_drawn_on_the_map_is_sent_as_cap_shapes_and_a_crossing_one_is_named()
    {
        var form = Render();
        var map = form.FindComponent<MapView>();
        Assert.True(map.Instance.Editable);

        await map.InvokeAsync(() => map.Instance.ShapesDrawn(new MapShapesWire
        {
            Polygons = [[[44.0, 6.0], [44.5, 6.0], [44.5, 6.5]], [[50, 0], [51, 1], [51, 0], [50, 1]]],
            Circles = [new MapCircleWire { Lat = 44.3, Lon = 6.3, Radius = 5000 }],
        }));

        Assert.Contains("Polygon 2: the polygon crosses itself", form.Find("[data-testid=incident-area-problem]").TextContent, StringComparison.Ordinal);
        Type(form, "#incident-name", "Wildfire at the pass");
        form.Find("form").Submit();
        var opened = Assert.Single(_opened);
        // Kept as drawn, both polygons (the server refuses the crossing one with the same message).
        Assert.Equal("44,6 44.5,6 44.5,6.5 44,6", opened.AreaPolygons[0]);
        Assert.Equal(2, opened.AreaPolygons.Count);
        Assert.Equal("44.3,6.3 5", Assert.Single(opened.AreaCircles));
    }

    [Fact]
    public void What_the_server_refused_is_shown_with_the_form()
    {
        var form = Render(error: "Your role does not allow opening an incident.");

        Assert.Contains("Your role does not allow opening an incident.", form.Find("[data-testid=open-incident-error]").TextContent);
    }

    [Fact]
    public void The_drill_button_shows_only_when_someone_can_start_one()
    {
        Assert.DoesNotContain("Start a drill", Render().Markup);

        var withDrill = Context.Render<OpenIncidentForm>(p => p.Add(f => f.OnStartDrill, EventCallback.Factory.Create(this, () => { })));
        Assert.Contains("Start a drill", withDrill.Markup);
    }
}
