using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Publishing;
using MudBlazor;

namespace CrisisDesk.ComponentTests.Alerts;

public sealed class AlertDecisionCardTests : ComponentTest
{
    private string? _approvedWith;

    private void SignIn(string user, string? policy)
    {
        var auth = Context.AddAuthorization();
        auth.SetAuthorized(user);
        if (policy is not null)
            auth.SetPolicies(policy);
    }

    private IRenderedComponent<AlertDecisionCard> Render(string user, string? policy, IReadOnlyList<AlertChange>? changes = null)
    {
        SignIn(user, policy);
        var cap = AlertSamples.Cap();
        return Context.Render<AlertDecisionCard>(p => p
            .Add(c => c.Alert, AlertSamples.Record(cap, AlertRecord.Submitted, "op.one"))
            .Add(c => c.Cap, cap)
            .Add(c => c.Channels, [ChannelNames.CapFeed, ChannelNames.Webhook])
            .Add(c => c.Changes, changes)
            .Add(c => c.OnApprove, comment => _approvedWith = comment));
    }

    [Theory]
    [InlineData("viewer.one", null)]
    [InlineData("op.two", Policies.Operator)]
    public void A_viewer_or_operator_reads_the_summary_and_sees_no_approve(string user, string? policy)
    {
        var card = Render(user, policy);

        Assert.Contains("Evacuate Lower Town now", card.Find("[data-testid='summary-headline']").TextContent, StringComparison.Ordinal);
        Assert.Equal("Public CAP feed, Webhook", card.Find("[data-testid='summary-channels']").TextContent);
        Assert.Empty(card.FindAll("[data-testid='approve']"));
        Assert.Empty(card.FindAll("[data-testid='reject']"));
        Assert.Contains("Approver role", card.Find("[data-testid='needs-approver']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_approver_who_wrote_it_is_told_about_the_two_person_rule_and_has_no_approve()
    {
        var card = Render("op.one", Policies.Approver);

        Assert.Empty(card.FindAll("[data-testid='approve']"));
        Assert.Contains("two-person rule", card.Find("[data-testid='two-person-note']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_approver_approves_after_a_confirmation_that_names_the_channels()
    {
        SignIn("approver.one", Policies.Approver);
        var dialogs = Context.Render<MudDialogProvider>();
        var cap = AlertSamples.Cap();
        var card = Context.Render<AlertDecisionCard>(p => p
            .Add(c => c.Alert, AlertSamples.Record(cap, AlertRecord.Submitted, "op.one"))
            .Add(c => c.Cap, cap)
            .Add(c => c.Channels, [ChannelNames.CapFeed, ChannelNames.Webhook])
            .Add(c => c.OnApprove, comment => _approvedWith = comment));

        card.Find("textarea").Change("Checked with the Environment Agency");
        var click = card.Find("[data-testid='approve']").ClickAsync(new());
        await dialogs.WaitForAssertionAsync(() => Assert.Contains("Public CAP feed, Webhook", dialogs.Markup, StringComparison.Ordinal));
        Assert.Contains("real alert (CAP status Actual)", dialogs.Markup, StringComparison.Ordinal);
        Assert.Null(_approvedWith);

        dialogs.FindAll("button").Single(b => b.TextContent.Contains("Approve and issue", StringComparison.Ordinal)).Click();
        await click;

        Assert.Equal("Checked with the Environment Agency", _approvedWith);
    }

    [Fact]
    public void Reject_without_a_reason_is_refused_next_to_the_comment()
    {
        var rejected = false;
        SignIn("approver.one", Policies.Approver);
        var cap = AlertSamples.Cap();
        var card = Context.Render<AlertDecisionCard>(p => p
            .Add(c => c.Alert, AlertSamples.Record(cap, AlertRecord.Submitted, "op.one"))
            .Add(c => c.Cap, cap)
            .Add(c => c.OnReject, _ => rejected = true));

        card.Find("[data-testid='reject']").Click();

        Assert.False(rejected);
        var comment = card.FindComponents<MudTextField<string>>().Single();
        Assert.Contains("Say why it is rejected", comment.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_update_shows_what_changed_since_the_issued_version()
    {
        var changes = AlertChanges.Between(AlertSamples.Cap(), AlertSamples.Cap("Evacuate Lower Town and Quay Street now", CapMsgType.Update));

        var card = Render("approver.one", Policies.Approver, changes);

        var table = card.Find("[data-testid='decision-changes']").TextContent;
        Assert.Contains("Headline", table, StringComparison.Ordinal);
        Assert.Contains("Evacuate Lower Town and Quay Street now", table, StringComparison.Ordinal);
        Assert.DoesNotContain("Instruction", table, StringComparison.Ordinal);
    }
}
