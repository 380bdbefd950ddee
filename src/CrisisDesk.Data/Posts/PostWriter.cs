using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using Npgsql;
using NpgsqlTypes;

namespace CrisisDesk.Data.Posts;

/// <summary>An item that could not be normalised, kept whole with the reason.</summary>
public sealed record QuarantinedItem(string Format, string Reason, ReadOnlyMemory<byte> Payload);

/// <summary>
/// What one pipeline batch writes: the posts, the items quarantined, and the source's cursor after the last of them.
/// </summary>
public sealed record PostBatch(
    int IncidentId,
    int SourceId,
    IReadOnlyList<Post> Posts,
    IReadOnlyList<QuarantinedItem> Quarantined,
    string? Cursor,
    DateTimeOffset? LastItemAt)
{
    /// <summary>The story of each post (same order as <see cref="Posts"/>), from the cluster stage; null when none ran. A deletion's entry (0) is ignored.</summary>
    public IReadOnlyList<long>? StoryIds { get; init; }

    /// <summary>The growth per minute of each story the batch touches, as the cluster stage measured it.</summary>
    public IReadOnlyList<StoryGrowth>? Stories { get; init; }

    /// <summary>What each post is about and its mood (same order as <see cref="Posts"/>), from the classification stage; null when none ran.</summary>
    public IReadOnlyList<PostClassification?>? Classifications { get; init; }

    /// <summary>
    /// The ingest node that must hold the source's lease (<c>source_leases</c>) for the batch to commit; null writes
    /// without the check (tools and tests that run no lease).
    /// </summary>
    public string? LeaseHolder { get; init; }
}

/// <summary>The source's lease is another node's now (this one was paused or cut off past its expiry): the batch is not stored.</summary>
public sealed class SourceLeaseLostException(int sourceId, string node)
    : InvalidOperationException($"Source {sourceId}'s lease is no longer held by node \"{node}\": another node runs it now, and this batch was not stored.");

/// <summary>A story's growth per minute after the batch, written onto its row.</summary>
public readonly record struct StoryGrowth(long StoryId, double GrowthPerMinute);

/// <summary>What one batch changed: the posts that were new, and the edits and deletions applied to stored posts.</summary>
/// <param name="Stored">The posts inserted, in id order (an edit of a post never stored is stored as the post).</param>
/// <param name="Changes">Edits and deletions of posts stored before this batch, in the order applied.</param>
/// <param name="VersionsStored">Edits stored as new versions (a re-delivered version is not counted).</param>
/// <param name="DeletionsApplied">Posts marked deleted by this batch (one already marked is not counted).</param>
/// <param name="DeletionsUnmatched">Deletions of posts the incident never stored, each counted once: only their key is kept.</param>
public sealed record PostWriteResult(IReadOnlyList<StoredPost> Stored, IReadOnlyList<PostChange> Changes, int VersionsStored, int DeletionsApplied, int DeletionsUnmatched);

/// <summary>
/// Writes a batch durably in one transaction: the posts whose keys the incident does not hold yet (the dedupe), by binary
/// COPY straight into <c>posts</c>; the posts actually inserted added to their stories' rows (size, first and latest
/// post, growth); the edits and deletions the batch carries (see below);
/// the quarantined items, and the source's cursor and counters. A crash anywhere before commit leaves nothing; a resume
/// from the saved cursor redelivers only what was not committed, and whatever it redelivers twice is absorbed by the
/// dedupe keys: (incident, platform, external id) for posts, (post, version) for edits, <c>deleted_at</c> for deletions.
/// </summary>
/// <remarks>
/// <para>
/// Edits and deletions (<see cref="StreamPostMarkers"/>) take a second path (<see cref="PostChangeWriter"/>) only when a batch has any, so ordinary posts
/// pay one substring test each. An edit is kept in <c>post_versions</c> (the first edit of a post also copies the text it
/// replaces, as the original) and the post then shows the latest version by the platform's version time; an edit of a
/// post never stored is stored as the post. A deletion sets <c>deleted_at</c>, keeping the text; a deletion of a post
/// never stored stores only its key (<c>unmatched_deletions</c>) and is counted once (<c>sources.deletions_unmatched</c>).
/// </para>
/// <para>
/// One incident's batches take turns: each first takes the incident's advisory lock, held to commit. So an incident's
/// posts commit in id order, and a reader who sees a post knows every older post of the incident is committed too; the
/// war room counts new posts by id range on that promise, even when two sources' batches reach it out of order. No
/// deadlocks: a batch belongs to one incident and takes that one lock before touching any row, and within an incident
/// only one batch writes at a time. Batches of different incidents touch different rows.
/// </para>
/// </remarks>
public sealed class PostWriter(NpgsqlDataSource dataSource)
{
    /// <summary>The advisory lock class (first key; the second is the incident) that makes one incident's batches take turns.</summary>
    private const int IncidentWriteLockClass = 0x43445645; // "CDVE"

    /// <summary>Runs after the posts are written and before commit; tests use it to crash there.</summary>
    internal Func<CancellationToken, Task>? BeforeCommit { get; set; }

    /// <summary>Writes the batch and returns the posts that were new, in batch order, with their ids.</summary>
    public async Task<IReadOnlyList<StoredPost>> WriteAsync(PostBatch batch, CancellationToken cancellationToken = default) =>
        (await WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false)).Stored;

    /// <summary>Writes the batch and returns the posts that were new and the changes applied to stored ones.</summary>
    public async Task<PostWriteResult> WriteBatchAsync(PostBatch batch, CancellationToken cancellationToken = default)
    {
        var markers = ReadMarkers(batch.Posts);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var receivedAt = DateTimeOffset.UtcNow;
        // Before any row is touched and any id drawn, so that an incident's batches queue here holding nothing and
        // commit in the order of their ids.
        await using (var takeTurn = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, $2)", connection, transaction)
        {
            Parameters = { new() { Value = IncidentWriteLockClass }, new() { Value = batch.IncidentId } },
        })
        {
            await takeTurn.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (batch.LeaseHolder is { } node)
        {
            // Held to commit (FOR SHARE): a node taking the expired lease waits for this batch, then reads its cursor.
            await using var holdsLease = new NpgsqlCommand("SELECT 1 FROM source_leases WHERE source_id = $1 AND node = $2 FOR SHARE", connection, transaction)
            {
                Parameters = { new() { Value = batch.SourceId }, new() { Value = node } },
            };
            if (await holdsLease.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                throw new SourceLeaseLostException(batch.SourceId, node);
        }
        var candidates = markers is null ? null : InsertCandidates(batch.Posts, markers);
        var stored = batch.Posts.Count == 0 || candidates is { Count: 0 }
            ? []
            : await InsertPostsAsync(connection, transaction, batch, candidates, markers, receivedAt, cancellationToken).ConfigureAwait(false);
        var changes = markers is null
            ? PostChangeWriter.Outcome.None
            : await PostChangeWriter.ApplyAsync(connection, transaction, batch, markers, stored, receivedAt, cancellationToken).ConfigureAwait(false);

        await using (var command = new NpgsqlBatch(connection, transaction))
        {
            foreach (var item in batch.Quarantined)
            {
                command.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO quarantine (source_id, format, reason, payload) VALUES ($1, $2, $3, $4)")
                {
                    Parameters =
                    {
                        new() { Value = batch.SourceId },
                        new() { Value = item.Format },
                        new() { Value = item.Reason },
                        new() { Value = item.Payload.ToArray() },
                    },
                });
            }
            command.BatchCommands.Add(new NpgsqlBatchCommand("""
                UPDATE sources
                   SET cursor = coalesce($2, cursor),
                       posts_stored = posts_stored + $3,
                       quarantined = quarantined + $4,
                       last_item_at = greatest(last_item_at, $5),
                       edits_stored = edits_stored + $7,
                       deletions_applied = deletions_applied + $8,
                       deletions_unmatched = deletions_unmatched + $9
                 WHERE id = $1 AND incident_id = $6
                """)
            {
                Parameters =
                {
                    new() { Value = batch.SourceId },
                    new() { Value = (object?)batch.Cursor ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = (long)stored.Count },
                    new() { Value = (long)batch.Quarantined.Count },
                    new() { Value = (object?)batch.LastItemAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new() { Value = batch.IncidentId },
                    new() { Value = (long)changes.VersionsStored },
                    new() { Value = (long)changes.DeletionsApplied },
                    new() { Value = (long)changes.DeletionsUnmatched },
                },
            });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            // posts carries no foreign keys (they halved the write rate); this is the check instead: the source, and
            // with it the incident, must exist, or nothing of the batch is kept.
            if (command.BatchCommands[^1].RecordsAffected != 1)
                throw new InvalidOperationException($"Source {batch.SourceId} does not exist: the batch is not stored.");
        }

        if (BeforeCommit is { } hook)
            await hook(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new PostWriteResult(stored, changes.Changes, changes.VersionsStored, changes.DeletionsApplied, changes.DeletionsUnmatched);
    }

    /// <summary>Each post's marker, or null when the batch holds only ordinary posts (the common case, which allocates nothing).</summary>
    private static PostMarker[]? ReadMarkers(IReadOnlyList<Post> posts)
    {
        PostMarker[]? markers = null;
        for (var i = 0; i < posts.Count; i++)
        {
            var marker = StreamPostMarkers.Read(posts[i]);
            if (marker.Kind == PostMarkerKind.Post)
                continue;
            markers ??= new PostMarker[posts.Count];
            markers[i] = marker;
        }
        return markers;
    }

    /// <summary>
    /// Which posts of a batch with changes go to the insert: every ordinary post, and for a key that has only edits in
    /// the batch, its earliest version (stored as the post if the post was never stored; the rest become versions).
    /// Deletions are never inserted.
    /// </summary>
    private static List<int> InsertCandidates(IReadOnlyList<Post> posts, PostMarker[] markers)
    {
        var chosen = new Dictionary<(string, string), int>();
        for (var i = 0; i < posts.Count; i++)
        {
            var marker = markers[i];
            if (marker.Kind == PostMarkerKind.Deletion)
                continue;
            var key = (posts[i].Platform, posts[i].ExternalId);
            if (!chosen.TryGetValue(key, out var current))
            {
                chosen[key] = i;
                continue;
            }
            var held = markers[current];
            if (held.Kind == PostMarkerKind.Edit
                && (marker.Kind == PostMarkerKind.Post || (marker.VersionAt is { } at && (held.VersionAt is not { } heldAt || at < heldAt))))
                chosen[key] = i;
        }
        var candidates = chosen.Values.ToList();
        candidates.Sort();
        return candidates;
    }

    /// <summary>
    /// Inserts the posts of the batch not yet stored, and adds them to their stories: which keys the incident already
    /// holds, ids for the rest, a binary COPY straight into <c>posts</c>, and the stories' upsert.
    /// </summary>
    /// <remarks>
    /// Why not a staging table and <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> (how this was written until December
    /// 2026): that cost the server a second copy of every row and the speculative insertion's work, 19–25 µs of CPU per
    /// post against 12–17 µs now (bench/README.md, "Writing straight into posts"), and ran after the COPY, while the
    /// client waited. Looking the keys up first is race-free because the caller holds the incident's lock, which every writer of
    /// the incident's posts takes: no other transaction can store one of these keys between the look-up and the COPY.
    /// Should a writer that does not take it ever do so, the COPY fails on the unique key (23505), and the pipeline
    /// retries the batch, whose look-up then finds the key. Ids are drawn after the lock too, so an incident's posts still
    /// commit in id order; a re-delivered post draws no id.
    /// </remarks>
    private static async Task<List<StoredPost>> InsertPostsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        PostBatch batch, List<int>? candidates, PostMarker[]? markers, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var count = candidates?.Count ?? batch.Posts.Count;
        var platforms = new string[count];
        var externalIds = new string[count];
        for (var n = 0; n < count; n++)
        {
            var post = batch.Posts[candidates is null ? n : candidates[n]];
            platforms[n] = post.Platform;
            externalIds[n] = post.ExternalId;
        }

        // A post is new when the incident does not hold its key (posts_held_keys, migration 0900, which says why it is a
        // function) and it is the first of its key in the batch.
        var isNew = new bool[count];
        var fresh = 0;
        await using (var lookUp = new NpgsqlCommand("SELECT posts_held_keys($1, $2, $3)", connection, transaction)
        {
            Parameters = { new() { Value = batch.IncidentId }, new() { Value = platforms }, new() { Value = externalIds } },
        })
        {
            Array.Fill(isNew, true);
            await using var reader = await lookUp.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                isNew[reader.GetInt32(0)] = false;
        }
        var seen = new HashSet<(string, string)>(count);
        for (var n = 0; n < count; n++)
        {
            if (isNew[n] && !seen.Add((platforms[n], externalIds[n])))
                isNew[n] = false;
            if (isNew[n])
                fresh++;
        }
        if (fresh == 0)
            return [];

        var ids = new long[fresh];
        await using (var draw = new NpgsqlCommand("SELECT nextval('posts_id_seq') FROM generate_series(1, $1)", connection, transaction)
        {
            Parameters = { new() { Value = fresh } },
        })
        await using (var reader = await draw.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var n = 0; await reader.ReadAsync(cancellationToken).ConfigureAwait(false); n++)
                ids[n] = reader.GetInt64(0);
        }
        Array.Sort(ids);

        var stored = new List<StoredPost>(fresh);
        var stories = batch.StoryIds is null ? null : new Dictionary<long, StoryAddition>();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY posts (id, incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, lang, has_media, extra, story_id, edited_at, informativeness, information_type, sentiment) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false))
        {
            for (int n = 0, next = 0; n < count; n++)
            {
                if (!isNew[n])
                    continue;
                var i = candidates is null ? n : candidates[n];
                var post = batch.Posts[i];
                var id = ids[next++];
                long? storyId = batch.StoryIds is { } storyIds && storyIds[i] > 0 ? storyIds[i] : null;
                var classified = batch.Classifications?[i];
                await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(batch.IncidentId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(batch.SourceId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Platform, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.ExternalId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(receivedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.AuthorHandle, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.AuthorName, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Text, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Url, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Language, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.HasMedia, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Extra, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                if (storyId is { } story)
                    await copy.WriteAsync(story, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                // A post first stored from an edit is marked edited from the start, at its version's time.
                if (markers is not null && markers[i].Kind == PostMarkerKind.Edit)
                    await copy.WriteAsync(markers[i].VersionAt ?? receivedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                if (classified is { } c)
                {
                    await copy.WriteAsync((short)c.Informativeness, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                    await copy.WriteAsync((short)c.InformationType, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                    await copy.WriteAsync(c.Sentiment, NpgsqlDbType.Real, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                stored.Add(new StoredPost(id, batch.IncidentId, batch.SourceId, receivedAt, post) { StoryId = storyId, Classification = classified });
                if (storyId is { } grown)
                    stories![grown] = stories.TryGetValue(grown, out var sofar) ? sofar.With(id, post) : new StoryAddition(id, post);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        if (stories is { Count: > 0 })
            await AddToStoriesAsync(connection, transaction, batch, stories, cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>What a batch adds to one story: how many posts, its earliest (by time, then id) and the latest time.</summary>
    private readonly record struct StoryAddition(int Size, long FirstId, Post First, DateTimeOffset LatestAt)
    {
        public StoryAddition(long id, Post post) : this(1, id, post, post.CreatedAt) { }

        public StoryAddition With(long id, Post post) => new(
            Size + 1,
            post.CreatedAt < First.CreatedAt || (post.CreatedAt == First.CreatedAt && id < FirstId) ? id : FirstId,
            post.CreatedAt < First.CreatedAt || (post.CreatedAt == First.CreatedAt && id < FirstId) ? post : First,
            post.CreatedAt > LatestAt ? post.CreatedAt : LatestAt);
    }

    /// <summary>
    /// Adds the posts actually inserted to their stories' rows: a redelivered copy never reaches here and leaves its
    /// story's size alone. Story rows are taken in id order, so two sources of one incident writing at once cannot
    /// deadlock on them.
    /// </summary>
    private static async Task AddToStoriesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PostBatch batch,
        Dictionary<long, StoryAddition> stories, CancellationToken cancellationToken)
    {
        var growth = new Dictionary<long, double>();
        foreach (var g in batch.Stories ?? [])
            growth[g.StoryId] = growth.TryGetValue(g.StoryId, out var other) ? Math.Max(other, g.GrowthPerMinute) : g.GrowthPerMinute;
        var ids = stories.Keys.Order().ToArray();
        await using var upsert = new NpgsqlCommand("""
            INSERT INTO stories AS s (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
            SELECT a.id, $1, a.size, a.first_post_id, a.first_post_at, a.latest_post_at, a.growth, left(a.text, 280)
              FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::timestamptz[], $7::float8[], $8::text[])
                   AS a (id, size, first_post_id, first_post_at, latest_post_at, growth, text)
             ORDER BY a.id
            ON CONFLICT (id) DO UPDATE SET
                size = s.size + excluded.size,
                first_post_id = CASE WHEN excluded.first_post_at < s.first_post_at THEN excluded.first_post_id ELSE s.first_post_id END,
                first_post_at = least(s.first_post_at, excluded.first_post_at),
                latest_post_at = greatest(s.latest_post_at, excluded.latest_post_at),
                growth_per_minute = excluded.growth_per_minute
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = batch.IncidentId },
                new() { Value = ids },
                new() { Value = ids.Select(id => (long)stories[id].Size).ToArray() },
                new() { Value = ids.Select(id => stories[id].FirstId).ToArray() },
                new() { Value = ids.Select(id => stories[id].First.CreatedAt).ToArray() },
                new() { Value = ids.Select(id => stories[id].LatestAt).ToArray() },
                new() { Value = ids.Select(id => growth.GetValueOrDefault(id)).ToArray() },
                new() { Value = ids.Select(id => stories[id].First.Text).ToArray() },
            },
        };
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);
}
