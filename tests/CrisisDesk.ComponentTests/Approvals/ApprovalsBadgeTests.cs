using CrisisDesk.Core.Live;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Approvals;

namespace CrisisDesk.ComponentTests.Approvals;

public sealed class ApprovalsBadgeTests : ApprovalsTest
{
    private static ApprovalItem Rebuttal(int id) =>
        new(ApprovalItem.Rebuttal, id, 5, "Dam rumour", $"Rebuttal {id}", "op.one", DateTime.UtcNow.AddMinutes(-3));

    [Fact]
    public async Task The_count_follows_submissions_and_decisions_announced_in_any_incident()
    {
        SignIn(Roles.Approver, Policies.Viewer, Policies.Operator, Policies.Approver);
        var badge = Context.Render<ApprovalsBadge>();
        await badge.WaitForAssertionAsync(() => Assert.Equal("0", badge.Find("[data-testid=approvals-count]").TextContent));
        Assert.Equal(1, Feed.SubscriberCount);

        // Someone submits a rebuttal in incident 5, then an alert in incident 9: the badge counts again each time.
        Approvals.Items.Add(Rebuttal(1));
        Feed.Publish(new IncidentActivity(5, "rebuttal.submitted", "op.one", DateTimeOffset.UtcNow));
        await badge.WaitForAssertionAsync(() => Assert.Equal("1", badge.Find("[data-testid=approvals-count]").TextContent), TimeSpan.FromSeconds(5));
        Assert.Contains("1 item waits for your decision", badge.Find("[data-testid=approvals-badge]").GetAttribute("aria-label"), StringComparison.Ordinal);

        Approvals.Items.Add(Rebuttal(2));
        Feed.Publish(new IncidentActivity(9, "alert.submitted", "op.two", DateTimeOffset.UtcNow));
        await badge.WaitForAssertionAsync(() => Assert.Equal("2", badge.Find("[data-testid=approvals-count]").TextContent), TimeSpan.FromSeconds(5));

        // Another approver decides one of them.
        Approvals.Items.RemoveAt(0);
        Feed.Publish(new IncidentActivity(5, "rebuttal.approved", "approver.two", DateTimeOffset.UtcNow));
        await badge.WaitForAssertionAsync(() => Assert.Equal("1", badge.Find("[data-testid=approvals-count]").TextContent), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Activity_that_cannot_change_the_queue_costs_no_query()
    {
        SignIn(Roles.Approver, Policies.Viewer, Policies.Operator, Policies.Approver);
        var badge = Context.Render<ApprovalsBadge>();
        await badge.WaitForAssertionAsync(() => Assert.Equal(1, Approvals.Queries));

        Feed.Publish(new IncidentActivity(5, "post.flagged", "op.one", DateTimeOffset.UtcNow));
        Feed.Publish(new IncidentActivity(5, "presence.changed", "op.one", DateTimeOffset.UtcNow));
        await Task.Delay(ApprovalsBadge.Throttle * 3);

        Assert.Equal(1, Approvals.Queries);
    }

    [Fact]
    public void An_operator_sees_no_badge_and_holds_no_subscription()
    {
        SignIn(Roles.Operator, Policies.Viewer, Policies.Operator);
        var badge = Context.Render<ApprovalsBadge>();

        Assert.Empty(badge.FindAll("[data-testid=approvals-badge]"));
        Assert.Equal(0, Feed.SubscriberCount);
        Assert.Equal(0, Approvals.Queries);
    }

    [Fact]
    public async Task Leaving_the_page_ends_the_subscription()
    {
        SignIn(Roles.Admin, Policies.Viewer, Policies.Operator, Policies.Approver, Policies.Admin);
        var badge = Context.Render<ApprovalsBadge>();
        await badge.WaitForAssertionAsync(() => Assert.Equal(1, Feed.SubscriberCount));

        badge.Instance.Dispose();

        Assert.Equal(0, Feed.SubscriberCount);
    }
}
