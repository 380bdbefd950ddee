using System.Runtime.CompilerServices;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.IntegrationTests.Support;

/// <summary>
/// A source over a list; the cursor is the item's position. <paramref name="rewind"/> redelivers items before the
/// cursor, as an at-least-once source may.
/// </summary>
internal sealed class ListSource(IReadOnlyList<RawItem> items, int rewind = 0) : IIngestSource
{
    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = cursor is null ? 0 : Math.Max(0, int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture) - rewind);
        foreach (var item in items.Skip(start))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
            await Task.Yield();
        }
    }
}
