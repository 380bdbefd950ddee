using System.Security.Claims;
using CrisisDesk.Web.Features.Approvals;

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
