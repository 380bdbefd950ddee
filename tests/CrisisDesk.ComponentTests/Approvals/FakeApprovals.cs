using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Web.Features.Approvals;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CrisisDesk.ComponentTests.Approvals;

/// <summary>What waits, held in memory: the badge and inbox logic is tested without a database (the SQL has its integration test).</summary>
internal sealed class FakeApprovals : IApprovalsWaiting
{
    public List<ApprovalItem> Items { get; } = [];

    public int Queries { get; private set; }

    public Task<IReadOnlyList<ApprovalItem>> WaitingForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        Queries++;
        return Task.FromResult<IReadOnlyList<ApprovalItem>>([.. Items]);
    }

    public Task<int> CountForAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        Queries++;
        return Task.FromResult(Items.Count);
    }
}

/// <summary>The inbox's and the badge's services (the fake queue, a real activity feed) and a signed-in person.</summary>
public abstract class ApprovalsTest : ComponentTest
{
    internal FakeApprovals Approvals { get; } = new();

    protected IncidentActivityFeed Feed { get; } = new();

    protected ApprovalsTest()
    {
        Context.Services.AddSingleton<IApprovalsWaiting>(Approvals);
        Context.Services.AddSingleton(Feed);
        Context.Services.AddSingleton(TimeProvider.System);
    }

    protected void SignIn(string role, params string[] policies)
    {
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("someone");
        auth.SetRoles(role);
        auth.SetPolicies(policies);
        // MudBlazor's tooltips need their provider, rendered as the layout does (services are complete by now).
        Context.Render<MudPopoverProvider>();
    }
}
