using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Approvals;

namespace CrisisDesk.ComponentTests.Approvals;

public sealed class ApprovalsInboxTests : ApprovalsTest
{
    [Fact]
    public void An_approver_sees_each_item_with_its_incident_kind_submitter_wait_and_a_link_to_its_approval_view()
    {
        Approvals.Items.Add(new(ApprovalItem.Alert, 3, 2, "River Ouse flood", "Evacuate Lower Town now", "op.one", DateTime.UtcNow.AddMinutes(-75.5)));
        Approvals.Items.Add(new(ApprovalItem.Rebuttal, 7, 1, "Dam rumour", "The dam has not failed", "op.two", DateTime.UtcNow.AddMinutes(-12.5)));
        SignIn(Roles.Approver, Policies.Viewer, Policies.Operator, Policies.Approver);

        var inbox = Context.Render<ApprovalsInbox>();

        var items = inbox.FindAll("[data-testid=approval-item]");
        Assert.Equal(2, items.Count);
        Assert.Contains("Emergency alert", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("River Ouse flood", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Submitted by op.one · waiting 1 h 15 min", items[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("/incidents/2/alerts/3", items[0].QuerySelector("[data-testid=approval-open]")!.GetAttribute("href"));
        Assert.Contains("Rebuttal", items[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("waiting 12 min", items[1].TextContent, StringComparison.Ordinal);
        Assert.Equal("/incidents/1/rebuttals/7", items[1].QuerySelector("[data-testid=approval-open]")!.GetAttribute("href"));
    }

    [Fact]
    public void An_approver_with_nothing_waiting_is_told_so()
    {
        SignIn(Roles.Admin, Policies.Viewer, Policies.Operator, Policies.Approver, Policies.Admin);

        var inbox = Context.Render<ApprovalsInbox>();

        Assert.Contains("Nothing waits for you", inbox.Find("[data-testid=approvals-empty]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_is_told_who_decides_and_nothing_is_queried()
    {
        Approvals.Items.Add(new(ApprovalItem.Rebuttal, 7, 1, "Dam rumour", "The dam has not failed", "op.two", DateTime.UtcNow));
        SignIn(Roles.Operator, Policies.Viewer, Policies.Operator);

        var inbox = Context.Render<ApprovalsInbox>();

        Assert.Contains("Only Approvers and Admins decide", inbox.Find("[data-testid=approvals-not-approver]").TextContent, StringComparison.Ordinal);
        Assert.Empty(inbox.FindAll("[data-testid=approval-item]"));
        Assert.Equal(0, Approvals.Queries);
    }

    [Theory]
    [InlineData(20, "under a minute")]
    [InlineData(60 * 5, "5 min")]
    [InlineData(60 * 120, "2 h")]
    [InlineData(60 * 125, "2 h 5 min")]
    [InlineData(60 * 60 * 24, "1 day")]
    [InlineData(60 * 60 * 51, "2 days 3 h")]
    public void Waiting_times_read_at_a_glance(int seconds, string expected) =>
        Assert.Equal(expected, ApprovalQueries.Waited(TimeSpan.FromSeconds(seconds)));
}
