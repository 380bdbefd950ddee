using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Alerts;

namespace CrisisDesk.ComponentTests.Alerts;

public sealed class AlertLabelsTests
{
    public static TheoryData<Type> CapEnums => new()
    {
        typeof(CapCategory), typeof(CapUrgency), typeof(CapSeverity), typeof(CapCertainty),
        typeof(CapStatus), typeof(CapMsgType), typeof(CapScope), typeof(CapResponseType),
    };

    [Theory]
    [MemberData(nameof(CapEnums))]
    public void Every_CAP_code_value_has_a_label_and_an_explanation(Type capEnum)
    {
        foreach (Enum value in Enum.GetValues(capEnum))
        {
            Assert.True(AlertLabels.IsLabelled(value), $"{capEnum.Name}.{value} has no label");
            Assert.False(string.IsNullOrWhiteSpace(AlertLabels.Of(value).Label));
            Assert.False(string.IsNullOrWhiteSpace(AlertLabels.Of(value).Hint));
        }
    }

    [Theory]
    [MemberData(nameof(CapEnums))]
    public void Labels_within_one_CAP_list_are_distinct(Type capEnum)
    {
        var labels = Enum.GetValues(capEnum).Cast<Enum>().Select(AlertLabels.Label).ToList();
        Assert.Equal(labels.Count, labels.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void The_CAP_value_stays_visible_beside_the_label_unless_they_are_the_same_word()
    {
        Assert.Equal("Act now (Immediate)", AlertLabels.WithCap(CapUrgency.Immediate));
        Assert.Equal("Severe", AlertLabels.WithCap(CapSeverity.Severe));
        Assert.Equal("Cancellation (Cancel)", AlertLabels.WithCap<CapMsgType>("Cancel"));
    }

    [Fact]
    public void Workflow_states_are_words_not_codes()
    {
        Assert.Equal("Waiting for approval", AlertLabels.State(AlertRecord.Submitted));
        Assert.Equal("Issued", AlertLabels.State(AlertRecord.Approved));
        Assert.Equal("Sent back", AlertLabels.State(AlertRecord.Rejected));
        Assert.Equal("Draft", AlertLabels.State(AlertRecord.Draft));
    }
}
