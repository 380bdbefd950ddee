using System.Text.Json;
using CrisisDesk.Web.Features.Sources;

namespace CrisisDesk.ComponentTests.Sources;

/// <summary>The sources list: state in words for everyone, each row's actions for Admins only.</summary>
public sealed class SourceTableTests : ComponentTest
{
    private static SourceView View(int id, string name, string state, bool running, string stateText = "", string? detail = null) =>
        new(id, 1, "rss", name, running, running, state, stateText, detail, null, 12, 1, DateTimeOffset.Parse("2026-01-01T14:32:00Z", System.Globalization.CultureInfo.InvariantCulture),
            JsonDocument.Parse("""{"url":"https://example.org/feed.rss","keywords":["flood"]}""").RootElement.Clone(), null);

    [Fact]
    public void An_operator_sees_each_source_state_in_words_and_no_actions()
    {
        var table = Context.Render<SourceTable>(p => p
            .Add(t => t.Sources, [View(1, "Wessex News", "Connected", running: true), View(2, "Old feed", "Failed", running: false, "failed: 404", "The feed answered 404 Not Found.")])
            .Add(t => t.CanManage, false));

        var states = table.FindAll("[data-testid=source-state]").Select(s => s.TextContent.Trim()).ToList();
        Assert.Equal(["Running", "Failed"], states);
        Assert.Contains("The feed answered 404 Not Found.", table.Find("[data-testid=source-state-detail]").TextContent, StringComparison.Ordinal);
        Assert.Empty(table.FindAll("[data-testid=source-start], [data-testid=source-stop], [data-testid=source-edit], [data-testid=source-remove], [data-testid=source-row-test]"));
        Assert.DoesNotContain("Actions", table.Find("thead").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_gets_stop_for_a_running_source_start_for_a_stopped_one_and_test_change_remove_on_both()
    {
        var stopped = new List<string>();
        var started = new List<string>();
        var table = Context.Render<SourceTable>(p => p
            .Add(t => t.Sources, [View(1, "Wessex News", "Connected", running: true), View(2, "Quiet feed", "Stopped", running: false)])
            .Add(t => t.CanManage, true)
            .Add(t => t.OnStop, (SourceView s) => stopped.Add(s.Name))
            .Add(t => t.OnStart, (SourceView s) => started.Add(s.Name)));

        Assert.Single(table.FindAll("[data-testid=source-stop]"));
        Assert.Single(table.FindAll("[data-testid=source-start]"));
        Assert.Equal(2, table.FindAll("[data-testid=source-remove]").Count);
        Assert.Equal(2, table.FindAll("[data-testid=source-edit]").Count);
        Assert.Equal(2, table.FindAll("[data-testid=source-row-test]").Count);

        table.Find("[data-testid=source-stop]").Click();
        table.Find("[data-testid=source-start]").Click();
        Assert.Equal(["Wessex News"], stopped);
        Assert.Equal(["Quiet feed"], started);
    }

    [Fact]
    public void Every_source_state_has_a_label_that_is_not_the_code()
    {
        foreach (var state in Enum.GetValues<CrisisDesk.Core.Ingest.SourceState>())
        {
            var label = SourceLabels.State(View(1, "S", state.ToString(), running: false, "reconnecting in 3 s")).Label;
            Assert.False(string.IsNullOrWhiteSpace(label));
            Assert.NotEqual("RateLimited", label);
        }
        Assert.Equal("Running", SourceLabels.State(View(1, "S", "Connected", true)).Label);
        foreach (var kind in SourceConfigValidator.Kinds)
            Assert.NotEqual(kind, SourceLabels.Kind(kind));
    }
}
