using System.Threading.Channels;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Posts;
using CrisisDesk.Ingest.Classification;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>One source to run: where it writes and where it resumes.</summary>
/// <param name="LeaseHolder">The node that must hold the source's lease for each batch to commit (null: no lease).</param>
public sealed record SourceRun(int SourceId, int IncidentId, IIngestSource Source, string? Cursor, string? LeaseHolder = null);

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
/// source → bounded channel → normalise → classify → dedupe → cluster into stories → batch write (posts with their
/// classification, their stories, quarantine and cursor in one transaction) → after commit, the live feed. Each stage
/// runs on its own task so parsing and classifying overlap the database round trip.
/// </summary>
public sealed class IngestPipeline(PostWriter writer, LiveFeed liveFeed, SourceMonitor monitor, IngestPipelineOptions options, PostFormats formats, ILogger<IngestPipeline> logger,
    StoryClusterStage? stories = null, PostClassificationStage? classification = null)
{
    private readonly record struct Normalised(RawItem Raw, NormaliseResult Result, PostClassification? Classification = null);

    /// <summary>Runs the source until it ends (state Completed), fails (Failed, with the reason) or is cancelled (Stopped).</summary>
    public async Task RunAsync(SourceRun run, CancellationToken cancellationToken)
    {
        var raw = Channel.CreateBounded<RawItem>(new BoundedChannelOptions(options.ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var normalised = Channel.CreateBounded<Normalised>(new BoundedChannelOptions(options.ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        monitor.Update(run.SourceId, s => s with { State = SourceState.Starting, Detail = null, Until = null });
        var read = Task.Run(() => ReadAsync(run, raw.Writer, stop.Token), CancellationToken.None);
        var normalise = Task.Run(() => NormaliseAsync(raw.Reader, normalised.Writer, stop.Token), CancellationToken.None);
        var toWrite = normalised;
        var classify = Task.CompletedTask;
        if (classification is not null)
        {
            toWrite = Channel.CreateBounded<Normalised>(new BoundedChannelOptions(options.ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            var classified = toWrite;
            classify = Task.Run(() => ClassifyAsync(classification, normalised.Reader, classified.Writer, stop.Token), CancellationToken.None);
        }
        var write = Task.Run(async () =>
        {
            try
            {
                await WriteAsync(run, toWrite.Reader, stop.Token).ConfigureAwait(false);
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
            await Task.WhenAll(read, normalise, classify, write).ConfigureAwait(false);
            monitor.Update(run.SourceId, s => s with { State = SourceState.Completed, Detail = "all items read", Until = null });
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            monitor.Update(run.SourceId, s => s with { State = SourceState.Stopped, Detail = null, Until = null });
        }
        catch (Exception)
        {
            // The first stage to fail holds the cause; the stages after it only saw their input close.
            var cause = new[] { read, normalise, classify, write }.First(t => t.IsFaulted).Exception!.InnerException!;
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

    /// <summary>Classifies each post on its way to the writer (one classifier for the stage's life).</summary>
    private static async Task ClassifyAsync(PostClassificationStage stage, ChannelReader<Normalised> input, ChannelWriter<Normalised> output, CancellationToken ct)
    {
        var classifier = stage.Rent();
        try
        {
            await foreach (var item in input.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var classified = item.Result.Post is { } post ? item with { Classification = PostClassificationStage.Classify(classifier, post) } : item;
                await output.WriteAsync(classified, ct).ConfigureAwait(false);
            }
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
        finally
        {
            stage.Return(classifier);
        }
    }

    private async Task WriteAsync(SourceRun run, ChannelReader<Normalised> input, CancellationToken ct)
    {
        var recent = new RecentKeys(options.RecentKeyCapacity);
        var posts = new List<Post>(options.MaxBatchSize);
        var postItems = new List<RawItem>(options.MaxBatchSize);
        var classes = new List<PostClassification?>(options.MaxBatchSize);
        var quarantined = new List<QuarantinedItem>();
        var batchKeys = new HashSet<DedupeKey>();
        while (await input.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            posts.Clear();
            postItems.Clear();
            classes.Clear();
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
                    var key = DedupeKey.Of(post);
                    // The database's unique keys are the guarantee; this only spares them the obvious repeats.
                    if (recent.Contains(key) || !batchKeys.Add(key))
                        continue;
                    posts.Add(post);
                    postItems.Add(item.Raw);
                    classes.Add(item.Classification);
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

            var batch = new PostBatch(run.IncidentId, run.SourceId, posts, quarantined, cursor, lastItemAt)
            {
                Classifications = classification is null ? null : classes,
                LeaseHolder = run.LeaseHolder,
            };
            if (stories is not null && posts.Count > 0)
            {
                // Assigned once per batch: a retried write keeps the same stories.
                batch = await WithRetryAsync(run.SourceId, "assigning stories", () => AssignStoriesAsync(stories, batch, ct), ct).ConfigureAwait(false);
            }
            var (written, refused) = await WriteIsolatingRefusedAsync(run.SourceId, batch, postItems, ct).ConfigureAwait(false);
            foreach (var key in batchKeys)
                recent.Add(key);
            monitor.Update(run.SourceId, s => s with
            {
                PostsStored = s.PostsStored + written.Stored.Count,
                Quarantined = s.Quarantined + quarantined.Count + refused,
                LastItemAt = lastItemAt is { } at && (s.LastItemAt is null || at > s.LastItemAt) ? at : s.LastItemAt,
                EditsStored = s.EditsStored + written.VersionsStored,
                DeletionsApplied = s.DeletionsApplied + written.DeletionsApplied,
                DeletionsUnmatched = s.DeletionsUnmatched + written.DeletionsUnmatched,
            });
            if (quarantined.Count > 0)
                logger.LogWarning("Source {SourceId}: {Count} item(s) quarantined; first reason: {Reason}", run.SourceId, quarantined.Count, quarantined[0].Reason);
            liveFeed.Publish(run.IncidentId, written.Stored, written.Changes);
        }
    }

    /// <summary>
    /// Puts the batch's posts and edits in stories (an edit may be stored as a new post; for one already stored the
    /// story it is given goes unused). Deletion markers have no text: their entry is 0, which the writer ignores.
    /// </summary>
    private static async Task<PostBatch> AssignStoriesAsync(StoryClusterStage stories, PostBatch batch, CancellationToken ct)
    {
        var posts = batch.Posts;
        bool[]? deletion = null;
        for (var i = 0; i < posts.Count; i++)
        {
            if (posts[i].Text.Length == 0 && StreamPostMarkers.Read(posts[i]).Kind == PostMarkerKind.Deletion)
                (deletion ??= new bool[posts.Count])[i] = true;
        }
        if (deletion is null)
        {
            var assigned = await stories.AssignAsync(batch.IncidentId, posts, ct).ConfigureAwait(false);
            return batch with { StoryIds = assigned.StoryIds, Stories = assigned.Growth };
        }
        var clustered = posts.Where((_, i) => !deletion[i]).ToList();
        var some = clustered.Count == 0
            ? new BatchStories([], [])
            : await stories.AssignAsync(batch.IncidentId, clustered, ct).ConfigureAwait(false);
        var storyIds = new long[posts.Count];
        for (int i = 0, next = 0; i < posts.Count; i++)
            storyIds[i] = deletion[i] ? 0 : some.StoryIds[next++];
        return batch with { StoryIds = storyIds, Stories = some.Growth };
    }

    /// <summary>
    /// Writes the batch. When the database refuses it for what one of its items holds (<see cref="IsAboutTheData"/>),
    /// the batch is halved until each refused item is alone; each is quarantined with the database's reason and
    /// everything else is written, so one item never blocks its source. Returns the combined result and how many
    /// items the database refused.
    /// </summary>
    private async Task<(PostWriteResult Written, int Refused)> WriteIsolatingRefusedAsync(int sourceId, PostBatch batch, IReadOnlyList<RawItem> postItems, CancellationToken ct)
    {
        try
        {
            return (await WithRetryAsync(sourceId, "writing a batch", () => writer.WriteBatchAsync(batch, ct), ct).ConfigureAwait(false), 0);
        }
        catch (Npgsql.PostgresException e) when (IsAboutTheData(e) && batch.Posts.Count > 0)
        {
            if (batch.Posts.Count == 1)
            {
                var reason = StorablePost.Text($"the database refused this item ({e.SqlState}: {e.MessageText}); the rest of its batch was stored");
                logger.LogWarning("Source {SourceId}: item {ExternalId} quarantined: {Reason}", sourceId, batch.Posts[0].ExternalId, reason);
                var alone = batch with { Posts = [], StoryIds = null, Stories = null, Classifications = null, Quarantined = [.. batch.Quarantined, new QuarantinedItem(postItems[0].Format, reason, postItems[0].Payload)] };
                return (await WithRetryAsync(sourceId, "quarantining an item", () => writer.WriteBatchAsync(alone, ct), ct).ConfigureAwait(false), 1);
            }
            // The first half keeps the cursor where it was: only the last part of the batch moves it on.
            var half = batch.Posts.Count / 2;
            var first = Slice(batch, 0, half) with { Cursor = null };
            var second = Slice(batch, half, batch.Posts.Count - half) with { Quarantined = [] };
            var (a, refusedA) = await WriteIsolatingRefusedAsync(sourceId, first, postItems.Take(half).ToList(), ct).ConfigureAwait(false);
            var (b, refusedB) = await WriteIsolatingRefusedAsync(sourceId, second, postItems.Skip(half).ToList(), ct).ConfigureAwait(false);
            return (new PostWriteResult([.. a.Stored, .. b.Stored], [.. a.Changes, .. b.Changes], a.VersionsStored + b.VersionsStored,
                a.DeletionsApplied + b.DeletionsApplied, a.DeletionsUnmatched + b.DeletionsUnmatched), refusedA + refusedB);
        }
    }

    private static PostBatch Slice(PostBatch batch, int start, int count) => batch with
    {
        Posts = batch.Posts.Skip(start).Take(count).ToList(),
        StoryIds = batch.StoryIds?.Skip(start).Take(count).ToList(),
        Classifications = batch.Classifications?.Skip(start).Take(count).ToList(),
    };

    /// <summary>
    /// A refusal caused by what an item holds, which no retry can cure: data exceptions (SQLSTATE class 22, such as
    /// 22021 invalid bytes or 22P02 bad input), integrity violations other than a unique key (class 23 but 23505: the
    /// writer stores only keys the incident does not hold, so a clash means another transaction stored one meanwhile,
    /// which the retry's look-up finds), and a value past a limit (54000, such as an index row too long).
    /// </summary>
    internal static bool IsAboutTheData(Npgsql.PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal)
        || (e.SqlState.StartsWith("23", StringComparison.Ordinal) && e.SqlState != Npgsql.PostgresErrorCodes.UniqueViolation)
        || e.SqlState == Npgsql.PostgresErrorCodes.ProgramLimitExceeded;

    private static bool IsRetryable(Exception e) =>
        e is Npgsql.PostgresException refusal ? !IsAboutTheData(refusal) : e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException;

    /// <summary>
    /// A batch the database cannot take now (connection lost, server restarting) is retried until it lands or the
    /// source is stopped: nothing is dropped. A refusal about the data is not retried: it goes back to the caller.
    /// </summary>
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
            catch (Exception e) when (IsRetryable(e) && !ct.IsCancellationRequested)
            {
                var delay = options.WriteRetryDelay * Math.Min(attempt, 10);
                logger.LogWarning(e, "Source {SourceId}: {What} failed (attempt {Attempt}); retrying in {Delay}.", sourceId, what, attempt, delay);
                // Only a lost connection is the database being unavailable; a refusal from a running server says what it is.
                var detail = e is Npgsql.PostgresException pg
                    ? $"the database refused {what} ({pg.SqlState}: {pg.MessageText}), retrying in {delay.TotalSeconds:0} s"
                    : $"database unavailable, retrying in {delay.TotalSeconds:0} s";
                monitor.Update(sourceId, s => s with { State = SourceState.Reconnecting, Detail = detail, Until = DateTimeOffset.UtcNow + delay });
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// What the in-memory dedupe compares. A post is itself once per (platform, external id); an edit of it is another item
/// per version, and its deletion another again, so neither is dropped as a repeat of the post (or of each other), while
/// a re-delivered edit or deletion is.
/// </summary>
/// <param name="Qualifier">Null for a post; <c>"edit:" + version</c> for an edit; <c>"deleted"</c> for a deletion.</param>
internal readonly record struct DedupeKey(string Platform, string ExternalId, string? Qualifier)
{
    public const string DeletedQualifier = "deleted";

    public static DedupeKey Of(Post post)
    {
        var marker = StreamPostMarkers.Read(post);
        return marker.Kind switch
        {
            PostMarkerKind.Edit => new DedupeKey(post.Platform, post.ExternalId, "edit:" + marker.Version),
            PostMarkerKind.Deletion => new DedupeKey(post.Platform, post.ExternalId, DeletedQualifier),
            _ => new DedupeKey(post.Platform, post.ExternalId, null),
        };
    }
}

/// <summary>A bounded set of the most recent keys: remembers the last <c>capacity</c> it was given.</summary>
internal sealed class RecentKeys(int capacity)
{
    private readonly HashSet<DedupeKey> _set = new(capacity);
    private readonly Queue<DedupeKey> _order = new(capacity);

    public bool Contains(DedupeKey key) => _set.Contains(key);

    public void Add(DedupeKey key)
    {
        if (!_set.Add(key))
            return;
        _order.Enqueue(key);
        if (_order.Count > capacity)
            _set.Remove(_order.Dequeue());
    }
}
