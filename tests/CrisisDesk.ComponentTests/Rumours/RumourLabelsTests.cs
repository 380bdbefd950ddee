using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Rumours;

namespace CrisisDesk.ComponentTests.Rumours;

public sealed class RumourLabelsTests
{
    [Fact]
    public void Every_status_has_a_label_in_peoples_words_and_a_tooltip()
    {
        Assert.Equal(["New", "Investigating", "Confirmed false", "Confirmed true", "Unverified", "Resolved"],
            Enum.GetValues<RumourStatus>().Select(RumourLabels.Status).ToArray());
        Assert.All(Enum.GetValues<RumourStatus>(), s => Assert.False(string.IsNullOrWhiteSpace(RumourLabels.StatusHelp(s))));
    }

    [Fact]
    public void Every_severity_and_rebuttal_state_is_labelled()
    {
        Assert.Equal(["Low harm", "Medium harm", "High harm", "Critical harm"], Enum.GetValues<RumourSeverity>().Select(RumourLabels.Severity).ToArray());
        Assert.Equal("High harm", RumourLabels.Severity("High"));
        foreach (var state in CrisisDesk.Web.Features.Rebuttals.RebuttalLabels.States)
            Assert.DoesNotContain(":", RumourLabels.Rebuttal(state), StringComparison.Ordinal);
        Assert.Equal("Rebuttal published", RumourLabels.Rebuttal("published"));
    }

    [Theory]
    [InlineData("succeeded", null, "Delivered")]
    [InlineData("pending", null, "Sending")]
    [InlineData("pending", "X answered 503", "Retrying")]
    [InlineData("failed", "bad token", "Failed: needs a person")]
    [InlineData("abandoned", null, "Abandoned")]
    public void Delivery_states_are_said_in_words(string status, string? lastError, string expected)
    {
        var row = new DeliveryView(1, ChannelNames.Mastodon, status, 2, status == "succeeded" ? "https://example.social/@a/1" : null, lastError,
            DateTime.UtcNow, status == "succeeded" ? DateTime.UtcNow : null, DateTime.UtcNow, null, 4);

        Assert.Equal(expected, DeliveryStatus.Label(row));
        Assert.False(string.IsNullOrWhiteSpace(DeliveryStatus.Explain(row)));
    }
}
