using CrisisDesk.Web.Features.Incidents;
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
