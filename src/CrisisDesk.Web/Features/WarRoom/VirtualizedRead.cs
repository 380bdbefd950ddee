using Microsoft.AspNetCore.Components.Web.Virtualization;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A database read behind a <see cref="Virtualize{TItem}"/> items provider.</summary>
public static class VirtualizedRead
{
    /// <summary>
    /// Runs <paramref name="read"/> with the request's token. Virtualize cancels a read when a newer one starts and ignores
    /// only a cancellation carrying its own token; the database driver's carries another, which Virtualize would rethrow
    /// from its render and so end the circuit (the page still says Connected, its feed frozen). This rethrows it with the
    /// request's token.
    /// </summary>
    public static async Task<T> RunAsync<T>(ItemsProviderRequest request, Func<CancellationToken, Task<T>> read)
    {
        try
        {
            return await read(request.CancellationToken);
        }
        catch (OperationCanceledException e) when (request.CancellationToken.IsCancellationRequested && e.CancellationToken != request.CancellationToken)
        {
            throw new OperationCanceledException(e.Message, e, request.CancellationToken);
        }
    }
}
