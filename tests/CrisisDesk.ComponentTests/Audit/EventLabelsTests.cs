using System.Text.Json;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Audit;

namespace CrisisDesk.ComponentTests.Audit;

/// <summary>
/// Every action any code writes to the event log has a label in people's words. The actions are read from the source
/// itself (string literals in files that call <c>EventLog.AppendAsync</c>), so an action added later fails here until
/// it gets one.
/// </summary>
public sealed partial class EventLabelsTests
{
    [Fact]
    public void Every_action_written_to_the_event_log_has_a_label()
    {
        var actions = ActionsWrittenInSource();
        // The scan must find the log's well-known actions, or it is looking in the wrong place.
        Assert.Contains("rumour.created", actions);
        Assert.Contains("user.role-changed", actions);
        Assert.Contains("post.flagged", actions);
        Assert.True(actions.Count >= 40, $"found only {actions.Count} actions: {string.Join(", ", actions)}");
        var missing = actions.Where(a => !EventLabels.HasLabel(a)).ToList();
        Assert.True(missing.Count == 0, "Actions without a label in EventLabels: " + string.Join(", ", missing));
    }

    [Fact]
    public void Labels_are_words_not_action_names()
    {
        foreach (var action in EventLabels.KnownActions)
        {
            var label = EventLabels.Label(action);
            Assert.DoesNotContain(".", label, StringComparison.Ordinal);
            Assert.True(char.IsUpper(label[0]), $"{action} → {label}");
        }
        Assert.Equal("Rumour status changed", EventLabels.Label("rumour.status-changed"));
        Assert.Equal("Widget frobbed", EventLabels.Label("widget.frobbed"));
    }

    [Fact]
    public void A_payload_reads_as_labelled_fields_and_a_sentence()
    {
        var e = Event("rumour.created", """{"rumourId":"12","claim":"The bridge collapsed","severity":"high","owner":"ops.anna","postIds":[237,238]}""");

        var fields = EventLabels.FieldsOf(e);
        Assert.Contains(new EventField("Posts", "237, 238"), fields);
        Assert.Contains(new EventField("Claim", "The bridge collapsed"), fields);
        Assert.DoesNotContain(fields, f => f.Value.Contains('[', StringComparison.Ordinal) || f.Label.Contains("Ids", StringComparison.Ordinal));

        var sentence = EventLabels.Sentence(e);
        Assert.Equal("ops.anna flagged the rumour “The bridge collapsed” (2 posts: 237, 238)", sentence);
        Assert.DoesNotContain("postIds", sentence, StringComparison.Ordinal);
        Assert.Equal([new EventLink("Rumour 12", "/incidents/3/rumours/12")], EventLabels.LinksOf(e));
    }

    [Fact]
    public void Nested_settings_are_flattened_and_booleans_read_as_yes_or_no()
    {
        var e = Event("source.changed", """{"sourceId":4,"config":{"url":"https://example.org/feed","keywords":["flood"]},"restarted":true}""");
        var fields = EventLabels.FieldsOf(e);
        Assert.Contains(new EventField("Settings", "Url: https://example.org/feed; Keywords: flood"), fields);
        Assert.Contains(new EventField("Restarted", "yes"), fields);
        Assert.Contains("moved rumour 1 from open to confirmed false", EventLabels.Sentence(Event("rumour.status-changed", """{"rumourId":"1","from":"Open","to":"ConfirmedFalse"}""")), StringComparison.Ordinal);
    }

    private static ReviewEvent Event(string action, string payload) =>
        new(1, DateTimeOffset.Parse("2026-01-01T14:32:00Z", System.Globalization.CultureInfo.InvariantCulture), "ops.anna", action, 3, JsonDocument.Parse(payload).RootElement.Clone());

    private static SortedSet<string> ActionsWrittenInSource()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var actions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                continue;
            var text = File.ReadAllText(file);
            // EventLog.cs defines AppendAsync; EventLabels.cs holds the labels themselves.
            if (!text.Contains("AppendAsync(", StringComparison.Ordinal) || file.EndsWith("EventLog.cs", StringComparison.Ordinal) || file.EndsWith("EventLabels.cs", StringComparison.Ordinal))
                continue;
            foreach (Match match in ActionLiteral().Matches(text))
            {
                var action = match.Groups[1].Value;
                if (!FileName().IsMatch(action))
                    actions.Add(action);
            }
        }
        return actions;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CrisisDesk.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("CrisisDesk.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"([a-z]+\\.[a-z]+(?:-[a-z]+)*)\"")]
    private static partial Regex ActionLiteral();

    [GeneratedRegex(@"\.(json|jsonl|csv|xml|log|pid|txt|md|html)$")]
    private static partial Regex FileName();
}
