using AngleSharp.Dom;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Alerts;
using MudBlazor;

namespace CrisisDesk.ComponentTests.Alerts;

public sealed class AlertComposerTests : ComponentTest
{
    private IRenderedComponent<AlertComposer> Render(AlertForm form, IReadOnlyList<CapProblem>? problems = null, bool presets = false, bool drill = false)
    {
        Context.Render<MudPopoverProvider>();
        return Context.Render<AlertComposer>(p => p
            .Add(c => c.Form, form)
            .Add(c => c.Problems, problems ?? [])
            .Add(c => c.ShowPresets, presets)
            .Add(c => c.IsDrill, drill));
    }

    /// <summary>The problem list sits right after the field whose label is given: same parent, next element.</summary>
    private static void AssertUnderField(IRenderedComponent<AlertComposer> composer, string path, string label, string message)
    {
        var list = composer.Find($"[data-testid='problems-{path}']");
        Assert.Contains(message, list.TextContent, StringComparison.Ordinal);
        var field = list.PreviousElementSibling ?? throw new Xunit.Sdk.XunitException($"nothing before the problems of {path}");
        Assert.Contains(label, field.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_validators_problems_appear_under_the_fields_they_concern()
    {
        var form = AlertSamples.Form(new string('H', 170));
        form.Infos[0].Onset = "2026-12-04T15:00:00+00:00";
        form.Infos[0].Expires = "2026-12-04T14:00:00+00:00";
        form.Infos[0].Web = "alerts/123";
        var problems = CapValidator.Validate(form.TryBuild(out _)!);

        var composer = Render(form, problems);

        AssertUnderField(composer, "info[1].headline", "Headline (CAP headline)", "CAP suggests keeping it to 160");
        AssertUnderField(composer, "info[1].web", "More information at (CAP web)", "is not a full absolute URI");
        Assert.Contains("must be later than", composer.Find("[data-testid='time-expires'] [data-testid='problems-info[1].expires']").TextContent, StringComparison.Ordinal);
        // Each problem is shown once, where its field is: not under another field.
        Assert.DoesNotContain("absolute URI", composer.Find("[data-testid='problems-info[1].headline']").TextContent, StringComparison.Ordinal);
        Assert.Empty(composer.FindAll("[data-testid='problems-info[1]']"));
    }

    [Fact]
    public void A_polygon_that_is_not_closed_is_named_under_the_polygons_field_as_it_is_typed()
    {
        var form = AlertSamples.Form();
        form.Infos[0].Areas[0].Polygons = "53.959,-1.0815 53.962,-1.07 53.955,-1.065 53.95,-1.08";

        var composer = Render(form);

        AssertUnderField(composer, "info[1].area[1].polygon", "Polygons (CAP polygon)", "is not closed");
        Assert.Empty(composer.FindAll("[data-testid='problems-info[1].area[1].circle']"));
    }

    [Fact]
    public void A_problem_without_a_field_of_its_own_is_shown_at_its_block_not_lost()
    {
        var composer = Render(AlertSamples.Form(), [new CapProblem(CapProblemSeverity.Error, "info[1].resource[1].mimeType", "'png' is not a MIME type")]);

        Assert.Contains("'png' is not a MIME type", composer.Find("[data-testid='problems-info[1]']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preset_fills_what_is_happening_and_what_to_do_and_keeps_the_area()
    {
        var form = AlertSamples.Form();
        var composer = Render(form, presets: true);

        composer.Find("[data-testid='preset-evacuation-order'] ").Click();

        var info = form.Infos[0];
        Assert.Equal("Evacuation order", info.Event);
        Assert.Equal([CapResponseType.Evacuate], info.ResponseTypes);
        Assert.Equal(CapUrgency.Immediate, info.Urgency);
        Assert.Equal(CapSeverity.Extreme, info.Severity);
        Assert.Equal("Lower Town", info.Areas[0].AreaDesc);
        Assert.StartsWith("Leave now", info.Instruction, StringComparison.Ordinal);
        Assert.Contains(composer.FindAll("input"), i => i.GetAttribute("value") == "Evacuation order");
        Assert.Contains("Extreme: threat to life (Extreme)", composer.Markup, StringComparison.Ordinal);
        Assert.True(composer.FindAll("input[type=checkbox]").Count(c => c.IsChecked()) >= 2, "the preset's category and response are ticked");
    }

    [Fact]
    public void Every_category_and_response_type_shows_its_label_with_the_CAP_value()
    {
        var composer = Render(AlertSamples.Form());

        var categories = composer.Find("[data-testid='info[1].category']").TextContent;
        foreach (var c in Enum.GetValues<CapCategory>())
            Assert.Contains(AlertLabels.WithCap(c), categories, StringComparison.Ordinal);
        var responses = composer.Find("[data-testid='info[1].responseType']").TextContent;
        foreach (var r in Enum.GetValues<CapResponseType>())
            Assert.Contains(AlertLabels.WithCap(r), responses, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_time_fields_show_no_example_date()
    {
        var composer = Render(AlertSamples.Form());

        foreach (var input in composer.FindAll("[data-testid^='time-'] input"))
        {
            Assert.True(string.IsNullOrEmpty(input.GetAttribute("value")), "an empty time field has no value");
            Assert.DoesNotMatch(@"\d{4}-\d{2}-\d{2}", input.GetAttribute("placeholder") ?? "");
        }
        Assert.DoesNotMatch(@"\d{4}-\d{2}-\d{2}", composer.Find("[data-testid='time-onset']").TextContent);
    }

    [Fact]
    public void A_drill_forces_Exercise_and_says_why()
    {
        var composer = Render(AlertSamples.Form(), drill: true);

        Assert.Contains("issued as Exercise", composer.Find("[data-testid='drill-note']").TextContent, StringComparison.Ordinal);
        Assert.True(composer.FindComponents<MudSelect<CapStatus>>().Single().Instance.Disabled);
    }
}
