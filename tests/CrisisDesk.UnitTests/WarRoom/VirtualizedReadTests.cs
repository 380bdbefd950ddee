using CrisisDesk.Web.Features.WarRoom;
using Microsoft.AspNetCore.Components.Web.Virtualization;

namespace CrisisDesk.UnitTests.WarRoom;

public sealed class VirtualizedReadTests
{
    [Fact]
    public async Task A_read_cancelled_by_a_newer_one_is_reported_with_the_requests_own_token_so_Virtualize_ignores_it()
    {
        using var request = new CancellationTokenSource();
        using var driver = new CancellationTokenSource();
        var read = VirtualizedRead.RunAsync<int>(new ItemsProviderRequest(0, 10, request.Token), async token =>
        {
            // As Npgsql does: the cancellation it throws carries a token of its own.
            await request.CancelAsync();
            await driver.CancelAsync();
            throw new OperationCanceledException("Query was cancelled", driver.Token);
        });

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        Assert.Equal(request.Token, cancelled.CancellationToken);
    }

    [Fact]
    public async Task Other_failures_and_results_pass_through()
    {
        using var request = new CancellationTokenSource();
        var itemsRequest = new ItemsProviderRequest(0, 10, request.Token);

        Assert.Equal(42, await VirtualizedRead.RunAsync(itemsRequest, _ => Task.FromResult(42)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => VirtualizedRead.RunAsync<int>(itemsRequest, _ => throw new InvalidOperationException("broken")));
        // A cancellation while the request itself still stands is not Virtualize's to ignore.
        using var other = new CancellationTokenSource();
        await other.CancelAsync();
        var foreign = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => VirtualizedRead.RunAsync<int>(itemsRequest, _ => throw new OperationCanceledException(other.Token)));
        Assert.Equal(other.Token, foreign.CancellationToken);
    }
}
