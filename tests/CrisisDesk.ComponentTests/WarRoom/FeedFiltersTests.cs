using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.ComponentTests.WarRoom;

public sealed class FeedFiltersTests : ComponentTest
{
    [Fact]
    public void Searching_hands_the_page_a_filter_with_the_trimmed_words()
    {
        TriageFilter? chosen = null;
        var filters = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, TriageFilter.None).Add(c => c.FilterChanged, f => chosen = f));

        filters.Find("#triage-search").Input("  co-pilot convert ");
        filters.Find("form").Submit();

        Assert.Equal(new TriageFilter(Search: "co-pilot convert"), chosen);
    }

    [Fact]
    public void Official_sources_only_is_a_checkbox_that_narrows_the_filter()
    {
        TriageFilter? chosen = null;
        var filters = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, new TriageFilter(Language: "en")).Add(c => c.FilterChanged, f => chosen = f));

        filters.FindAll("label").Single(l => l.TextContent.Contains("Official sources only", StringComparison.Ordinal)).QuerySelector("input[type=checkbox]")!.Change(true);

        Assert.Equal(new TriageFilter(Language: "en", OfficialOnly: true), chosen);
    }

    [Fact]
    public void Clear_appears_only_under_a_filter_and_clears_every_one()
    {
        TriageFilter? chosen = null;
        var none = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, TriageFilter.None));
        var some = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, new TriageFilter("crash", "x", "en", true, 15, true, true))
            .Add(c => c.FilterChanged, f => chosen = f));

        Assert.Empty(none.FindAll("[data-testid=filters-clear]"));
        some.Find("[data-testid=filters-clear]").Click();

        Assert.Equal(TriageFilter.None, chosen);
    }

    [Fact]
    public void In_a_drill_the_time_window_says_it_runs_on_the_incident_s_clock()
    {
        var drill = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, TriageFilter.None).Add(c => c.OnEventTime, true));
        var live = Context.Render<FeedFilters>(p => p.Add(c => c.Filter, TriageFilter.None).Add(c => c.OnEventTime, false));

        Assert.Contains("Time (incident clock)", drill.Markup);
        Assert.DoesNotContain("incident clock", live.Markup);
    }
}
