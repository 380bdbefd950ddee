using System.Globalization;
using System.Runtime.CompilerServices;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Bench.Ingest;

/// <summary>
/// A source that delivers the corpus from memory as fast as the pipeline takes it, so that only the pipeline is
/// measured. Its cursor is the number of items delivered, as a replay source's is.
/// </summary>
internal sealed class MemorySource(IngestCorpus corpus) : IIngestSource
{
    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = cursor is null ? 0 : int.Parse(cursor, CultureInfo.InvariantCulture);
        var items = corpus.Items;
        for (var i = start; i < items.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new RawItem(corpus.Format, items[i], (i + 1).ToString(CultureInfo.InvariantCulture));
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
