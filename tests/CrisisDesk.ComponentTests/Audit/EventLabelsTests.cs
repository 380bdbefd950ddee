using System.Text.Json;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Audit;

namespace CrisisDesk.ComponentTests.Audit;

/// <summary>
/// Every action any code can write to the event log has a label in people's words. Writers can only append payloads of
/// the event contract (<see cref="EventContract"/>), so the contract is the list: an action added to it fails here
/// until it gets a label.
/// </summary>
public sealed class EventLabelsTests
{
    [Fact]
    public void Every_action_of_the_event_contract_has_a_label()
    {
        var actions = EventContract.All.Select(k => k.Action).ToList();
        Assert.Contains(EventActions.RumourCreated, actions);
        Assert.Contains(EventActions.UserRoleChanged, actions);
        Assert.True(actions.Count >= 40, $"the contract holds only {actions.Count} actions");
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
}
