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
    /// <summary>The story of each post (same order as <see cref="Posts"/>), from the cluster stage; null when none ran.</summary>
    public IReadOnlyList<long>? StoryIds { get; init; }

    /// <summary>The growth per minute of each story the batch touches, as the cluster stage measured it.</summary>
    public IReadOnlyList<StoryGrowth>? Stories { get; init; }
}

/// <summary>A story's growth per minute after the batch, written onto its row.</summary>
public readonly record struct StoryGrowth(long StoryId, double GrowthPerMinute);

/// <summary>
/// Writes a batch durably in one transaction: binary COPY into a temporary staging table, one
/// <c>INSERT … ON CONFLICT DO NOTHING</c> into <c>posts</c> (the dedupe) that also adds the posts actually inserted to
/// their stories' rows (size, first and latest post, growth), the quarantined items, and the source's cursor and counters. A crash anywhere before commit leaves nothing; a resume from the saved cursor redelivers
/// only what was not committed, and whatever it redelivers twice is absorbed by the dedupe key.
/// </summary>
public sealed class PostWriter(NpgsqlDataSource dataSource)
{
    /// <summary>Runs after the posts are written and before commit; tests use it to crash there.</summary>
    internal Func<CancellationToken, Task>? BeforeCommit { get; set; }

    /// <summary>Writes the batch and returns the posts that were new, in batch order, with their ids.</summary>
    public async Task<IReadOnlyList<StoredPost>> WriteAsync(PostBatch batch, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var receivedAt = DateTimeOffset.UtcNow;
        var stored = batch.Posts.Count == 0
            ? []
            : await InsertPostsAsync(connection, transaction, batch, receivedAt, cancellationToken).ConfigureAwait(false);

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
                       last_item_at = greatest(last_item_at, $5)
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
        return stored;
    }

    private static async Task<List<StoredPost>> InsertPostsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        PostBatch batch, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        await using (var staging = new NpgsqlCommand("""
            CREATE TEMP TABLE IF NOT EXISTS post_staging (
                ord integer, platform text, external_id text, created_at timestamptz, author_handle text, author_name text,
                text text, url text, lang text, has_media boolean, extra jsonb, story_id bigint
            ) ON COMMIT DELETE ROWS
            """, connection, transaction))
            await staging.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY post_staging (ord, platform, external_id, created_at, author_handle, author_name, text, url, lang, has_media, extra, story_id) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < batch.Posts.Count; i++)
            {
                var post = batch.Posts[i];
                await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Platform, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.ExternalId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.AuthorHandle, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.AuthorName, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Text, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Url, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Language, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.HasMedia, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(copy, post.Extra, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                if (batch.StoryIds is { } storyIds)
                    await copy.WriteAsync(storyIds[i], NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        // Rows go in in key order, not arrival order: two writers inserting overlapping keys then wait on each other
        // in the same order and cannot deadlock. Arrival order within one batch (a fraction of a second) is not kept.
        var stored = new List<StoredPost>(batch.Posts.Count);
        // Only the posts actually inserted count towards their stories: a redelivered copy is absorbed by the dedupe
        // and leaves its story's size alone. Story rows are taken in id order, so two sources of one incident writing
        // at once cannot deadlock on them.
        var growth = batch.Stories ?? [];
        await using var insert = new NpgsqlCommand("""
            WITH inserted AS (
                INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, lang, has_media, extra, story_id)
                SELECT $1, $2, platform, external_id, created_at, $3, author_handle, author_name, text, url, lang, has_media, extra, story_id
                  FROM post_staging ORDER BY platform, external_id
                ON CONFLICT (incident_id, platform, external_id) DO NOTHING
                RETURNING id, platform, external_id, story_id, created_at, text
            ), grown AS (
                INSERT INTO stories AS s (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
                SELECT i.story_id, $1, count(*), (array_agg(i.id ORDER BY i.created_at, i.id))[1], min(i.created_at), max(i.created_at),
                       coalesce(max(g.growth), 0), left((array_agg(i.text ORDER BY i.created_at, i.id))[1], 280)
                  FROM inserted i LEFT JOIN unnest($4::bigint[], $5::float8[]) AS g (story_id, growth) ON g.story_id = i.story_id
                 WHERE i.story_id IS NOT NULL
                 GROUP BY i.story_id
                 ORDER BY i.story_id
                ON CONFLICT (id) DO UPDATE SET
                    size = s.size + excluded.size,
                    first_post_id = CASE WHEN excluded.first_post_at < s.first_post_at THEN excluded.first_post_id ELSE s.first_post_id END,
                    first_post_at = least(s.first_post_at, excluded.first_post_at),
                    latest_post_at = greatest(s.latest_post_at, excluded.latest_post_at),
                    growth_per_minute = excluded.growth_per_minute
            )
            SELECT id, platform, external_id, story_id FROM inserted
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = batch.IncidentId },
                new() { Value = batch.SourceId },
                new() { Value = receivedAt },
                new() { Value = growth.Select(g => g.StoryId).ToArray() },
                new() { Value = growth.Select(g => g.GrowthPerMinute).ToArray() },
            },
        };
        var byKey = BuildIndex(batch.Posts);
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = (reader.GetString(1), reader.GetString(2));
                var post = byKey[key];
                stored.Add(new StoredPost(reader.GetInt64(0), batch.IncidentId, batch.SourceId, receivedAt, post)
                {
                    StoryId = reader.IsDBNull(3) ? null : reader.GetInt64(3),
                });
            }
        }
        stored.Sort((a, b) => a.Id.CompareTo(b.Id));
        return stored;
    }

    private static Dictionary<(string, string), Post> BuildIndex(IReadOnlyList<Post> posts)
    {
        var index = new Dictionary<(string, string), Post>(posts.Count);
        foreach (var post in posts)
            index.TryAdd((post.Platform, post.ExternalId), post);
        return index;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);
}
