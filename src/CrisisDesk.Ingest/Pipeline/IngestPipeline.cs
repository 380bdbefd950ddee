using System.Threading.Channels;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>One source to run: where it writes and where it resumes.</summary>
public sealed record SourceRun(int SourceId, int IncidentId, IIngestSource Source, string? Cursor);

/// <summary>Pipeline tuning. The defaults suit a live incident and the benchmark alike.</summary>
public sealed record IngestPipelineOptions
{
    /// <summary>Raw items a source may run ahead of normalisation before it is made to wait (backpressure).</summary>
    public int ChannelCapacity { get; init; } = 16_384;

    /// <summary>The most posts one transaction writes. Batches form from whatever is waiting, so a quiet source writes at once.</summary>
    public int MaxBatchSize { get; init; } = 8_192;

    /// <summary>How many recent keys per source the in-memory dedupe remembers before the database's unique key takes over.</summary>
    public int RecentKeyCapacity { get; init; } = 200_000;

    /// <summary>The pause before retrying a batch the database refused (connection lost, server restarting).</summary>
    public TimeSpan WriteRetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// source → bounded channel → normalise → dedupe → cluster into stories → batch write (posts, their stories,
/// quarantine and cursor in one transaction) → after commit, the live feed. Each stage runs on its own task so parsing
/// overlaps the database round trip.
/// </summary>
public sealed class IngestPipeline(PostWriter writer, LiveFeed liveFeed, SourceMonitor monitor, IngestPipelineOptions options, PostFormats formats, ILogger<IngestPipeline> logger,
    StoryClusterStage? stories = null)
{
    private readonly record struct Normalised(RawItem Raw, NormaliseResult Result);

    /// <summary>Runs the source until it ends (state Completed), fails (Failed, with the reason) or is cancelled (Stopped).</summary>
    public async Task RunAsync(SourceRun run, CancellationToken cancellationToken)
    {
        var raw = Channel.CreateBounded<RawItem>(new BoundedChannelOptions(options.ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var normalised = Channel.CreateBounded<Normalised>(new BoundedChannelOptions(options.ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        monitor.Update(run.SourceId, s => s with { State = SourceState.Starting, Detail = null, Until = null });
        var read = Task.Run(() => ReadAsync(run, raw.Writer, stop.Token), CancellationToken.None);
        var normalise = Task.Run(() => NormaliseAsync(raw.Reader, normalised.Writer, stop.Token), CancellationToken.None);
        var write = Task.Run(async () =>
        {
            try
            {
                await WriteAsync(run, normalised.Reader, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                // Upstream stages blocked on a full channel must not wait for a writer that is gone.
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await Task.WhenAll(read, normalise, write).ConfigureAwait(false);
            monitor.Update(run.SourceId, s => s with { State = SourceState.Completed, Detail = "all items read", Until = null });
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            monitor.Update(run.SourceId, s => s with { State = SourceState.Stopped, Detail = null, Until = null });
        }
        catch (Exception)
        {
            // The first stage to fail holds the cause; the stages after it only saw their input close.
            var cause = new[] { read, normalise, write }.First(t => t.IsFaulted).Exception!.InnerException!;
            logger.LogError(cause, "Source {SourceId} failed.", run.SourceId);
            monitor.Update(run.SourceId, s => s with { State = SourceState.Failed, Detail = cause.Message, Until = null });
        }
    }

    private async Task ReadAsync(SourceRun run, ChannelWriter<RawItem> output, CancellationToken ct)
    {
        try
        {
            var first = true;
            await foreach (var item in run.Source.ReadAsync(run.Cursor, ct).ConfigureAwait(false))
            {
                if (first)
                {
                    first = false;
                    if (monitor.Get(run.SourceId)?.State == SourceState.Starting)
                        monitor.Update(run.SourceId, s => s with { State = SourceState.Connected });
                }
                await output.WriteAsync(item, ct).ConfigureAwait(false);
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private async Task NormaliseAsync(ChannelReader<RawItem> input, ChannelWriter<Normalised> output, CancellationToken ct)
    {
        try
        {
            await foreach (var item in input.ReadAllAsync(ct).ConfigureAwait(false))
                await output.WriteAsync(new Normalised(item, formats.Normalise(item)), ct).ConfigureAwait(false);
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private async Task WriteAsync(SourceRun run, ChannelReader<Normalised> input, CancellationToken ct)
    {
        var recent = new RecentKeys(options.RecentKeyCapacity);
        var posts = new List<Post>(options.MaxBatchSize);
        var quarantined = new List<QuarantinedItem>();
        var batchKeys = new HashSet<(string, string)>();
        while (await input.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            posts.Clear();
            quarantined.Clear();
            batchKeys.Clear();
            string? cursor = null;
            DateTimeOffset? lastItemAt = null;
            var items = 0;
            while (items < options.MaxBatchSize && input.TryRead(out var item))
            {
                items++;
                cursor = item.Raw.Cursor;
                if (item.Result.Post is { } post)
                {
                    var key = (post.Platform, post.ExternalId);
                    // The database's unique key is the guarantee; this only spares it the obvious repeats.
                    if (recent.Contains(key) || !batchKeys.Add(key))
                        continue;
                    posts.Add(post);
                    if (lastItemAt is null || post.CreatedAt > lastItemAt)
                        lastItemAt = post.CreatedAt;
                }
                else if (item.Result.Error is { } reason)
                {
                    quarantined.Add(new QuarantinedItem(item.Raw.Format, reason, item.Raw.Payload));
                }
            }
            if (items == 0)
                continue;

            var batch = new PostBatch(run.IncidentId, run.SourceId, posts, quarantined, cursor, lastItemAt);
            if (stories is not null && posts.Count > 0)
            {
                // Assigned once per batch: a retried write keeps the same stories.
                var assigned = await WithRetryAsync(run.SourceId, "assigning stories", () => stories.AssignAsync(run.IncidentId, posts, ct), ct).ConfigureAwait(false);
                batch = batch with { StoryIds = assigned.StoryIds, Stories = assigned.Growth };
            }
            var stored = await WithRetryAsync(run.SourceId, "writing a batch", () => writer.WriteAsync(batch, ct), ct).ConfigureAwait(false);
            foreach (var key in batchKeys)
                recent.Add(key);
            monitor.Update(run.SourceId, s => s with
            {
                PostsStored = s.PostsStored + stored.Count,
                Quarantined = s.Quarantined + quarantined.Count,
                LastItemAt = lastItemAt is { } at && (s.LastItemAt is null || at > s.LastItemAt) ? at : s.LastItemAt,
            });
            if (quarantined.Count > 0)
                logger.LogWarning("Source {SourceId}: {Count} item(s) quarantined; first reason: {Reason}", run.SourceId, quarantined.Count, quarantined[0].Reason);
            liveFeed.Publish(run.IncidentId, stored);
        }
    }

    /// <summary>A batch the database refuses is retried until it lands or the source is stopped: nothing is dropped.</summary>
    private async Task<T> WithRetryAsync<T>(int sourceId, string what, Func<Task<T>> step, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var stored = await step().ConfigureAwait(false);
                if (attempt > 1)
                    monitor.Update(sourceId, s => s with { State = SourceState.Connected, Detail = null, Until = null });
                return stored;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
            {
                var delay = options.WriteRetryDelay * Math.Min(attempt, 10);
                logger.LogWarning(e, "Source {SourceId}: {What} failed (attempt {Attempt}); retrying in {Delay}.", sourceId, what, attempt, delay);
                monitor.Update(sourceId, s => s with { State = SourceState.Reconnecting, Detail = $"database unavailable, retrying in {delay.TotalSeconds:0} s", Until = DateTimeOffset.UtcNow + delay });
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A bounded set of the most recent keys: remembers the last <c>capacity</c> it was given.</summary>
internal sealed class RecentKeys(int capacity)
{
    private readonly HashSet<(string, string)> _set = new(capacity);
    private readonly Queue<(string, string)> _order = new(capacity);

    public bool Contains((string, string) key) => _set.Contains(key);

    public void Add((string, string) key)
    {
        if (!_set.Add(key))
            return;
        _order.Enqueue(key);
        if (_order.Count > capacity)
            _set.Remove(_order.Dequeue());
    }
}
