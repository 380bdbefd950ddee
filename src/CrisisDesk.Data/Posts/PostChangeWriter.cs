using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using Npgsql;
using NpgsqlTypes;

namespace CrisisDesk.Data.Posts;

/// <summary>
/// <see cref="PostWriter"/>'s second path, taken only by a batch that carries edits or deletions: in the writer's
/// transaction, after the batch's new posts are inserted, edits become <c>post_versions</c> (the post then shows its
/// latest version) and deletions set <c>deleted_at</c> or, for a post never stored, keep its key in
/// <c>unmatched_deletions</c>. Kept apart so the insert path, which nearly every batch takes alone, reads on its own.
/// </summary>
internal static class PostChangeWriter
{
    internal sealed record Outcome(IReadOnlyList<PostChange> Changes, int VersionsStored, int DeletionsApplied, int DeletionsUnmatched)
    {
        public static readonly Outcome None = new([], 0, 0, 0);
    }

    /// <summary>
    /// Applies the batch's edits and deletions, after its posts are inserted (so an edit finds a post created earlier in
    /// the same batch, and a deletion one created or edited in it). Every statement here reads or updates rows that are
    /// committed or this transaction's own.
    /// </summary>
    internal static async Task<Outcome> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        PostBatch batch, PostMarker[] markers, IReadOnlyList<StoredPost> inserted, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        await using (var staging = new NpgsqlCommand("""
            CREATE TEMP TABLE IF NOT EXISTS post_change_staging (
                ord integer, platform text, external_id text, deletion boolean, version text, version_at timestamptz, text text, extra jsonb,
                post_id bigint
            ) ON COMMIT DELETE ROWS
            """, connection, transaction))
            await staging.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var postIds = await PostIdsAsync(connection, transaction, batch, markers, cancellationToken).ConfigureAwait(false);
        var edits = 0;
        var deletions = 0;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY post_change_staging (ord, platform, external_id, deletion, version, version_at, text, extra, post_id) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < batch.Posts.Count; i++)
            {
                var marker = markers[i];
                if (marker.Kind == PostMarkerKind.Post)
                    continue;
                var post = batch.Posts[i];
                var deletion = marker.Kind == PostMarkerKind.Deletion;
                if (deletion)
                    deletions++;
                else
                    edits++;
                await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Platform, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.ExternalId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(deletion, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await PostWriter.WriteNullableAsync(copy, marker.Version, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(marker.VersionAt ?? receivedAt, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(post.Text, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await PostWriter.WriteNullableAsync(copy, post.Extra, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                if (postIds.TryGetValue(i, out var postId))
                    await copy.WriteAsync(postId, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }
            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        var changes = new List<PostChange>();
        var insertedIds = inserted.Select(p => p.Id).ToHashSet();
        var versionsStored = 0;
        if (edits > 0)
        {
            // The first edit of a post keeps the text it replaces: the post as it stands is copied as its first version
            // (the original, unless the post was itself first stored from an edit). Retention-erased posts take no edits.
            await using (var originals = new NpgsqlCommand("""
                INSERT INTO post_versions (post_id, version, original, text, version_at, received_at, extra)
                SELECT p.id, coalesce(p.extra->>'version', 'original'), p.edited_at IS NULL, p.text, coalesce(p.edited_at, p.created_at), p.received_at, p.extra
                  FROM posts p
                 WHERE p.id IN (SELECT post_id FROM post_change_staging WHERE NOT deletion) AND p.erased_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM post_versions v WHERE v.post_id = p.id)
                 ORDER BY p.id
                ON CONFLICT (post_id, version) DO NOTHING
                """, connection, transaction))
                await originals.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            // Each edit once per version: a re-delivered one (after a reconnect or a crash) meets its key and is dropped.
            var edited = new List<(long PostId, string Version)>();
            await using (var versions = new NpgsqlCommand("""
                INSERT INTO post_versions (post_id, version, original, text, version_at, received_at, extra)
                SELECT p.id, s.version, false, s.text, s.version_at, $1, s.extra
                  FROM post_change_staging s
                  JOIN posts p ON p.id = s.post_id
                 WHERE NOT s.deletion AND p.erased_at IS NULL
                 ORDER BY p.id, s.ord
                ON CONFLICT (post_id, version) DO NOTHING
                RETURNING post_id, version
                """, connection, transaction)
            {
                Parameters = { new() { Value = receivedAt } },
            })
            await using (var reader = await versions.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    edited.Add((reader.GetInt64(0), reader.GetString(1)));
            }
            versionsStored = edited.Count;

            if (edited.Count > 0)
            {
                var editedIds = edited.Select(e => e.PostId).Distinct().Order().ToArray();
                // The post shows its latest version: any edit is later than the original; among edits, the latest by
                // the platform's version time (then by arrival), so an older version arriving late changes nothing shown.
                await using var show = new NpgsqlCommand("""
                    UPDATE posts p SET text = v.text, extra = v.extra, edited_at = v.version_at
                      FROM (SELECT DISTINCT ON (post_id) post_id, original, text, extra, version_at
                              FROM post_versions WHERE post_id = ANY($1)
                             ORDER BY post_id, original, version_at DESC, received_at DESC, version DESC) v
                     WHERE p.id = v.post_id AND NOT v.original
                       AND (p.edited_at IS DISTINCT FROM v.version_at OR p.text IS DISTINCT FROM v.text)
                    """, connection, transaction)
                {
                    Parameters = { new() { Value = editedIds } },
                };
                await show.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                // Search finds what is shown: the new text's document, with the edit.
                await using var reindex = new NpgsqlCommand(SearchIndexer.ReindexPostsSql, connection, transaction)
                {
                    Parameters = { new() { Value = editedIds } },
                };
                await reindex.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                foreach (var (postId, version) in edited)
                {
                    // A post this batch inserted is announced as new, not as a change.
                    if (!insertedIds.Contains(postId))
                        changes.Add(new PostChange(postId, batch.IncidentId, PostChangeKind.Edited, version, receivedAt));
                }
            }
        }

        var deletionsApplied = 0;
        var deletionsUnmatched = 0;
        if (deletions > 0)
        {
            // The text stays for the record; deleted_at is when CrisisDesk learnt of it (a Mastodon delete carries no time).
            await using var delete = new NpgsqlCommand("""
                WITH d AS (SELECT DISTINCT platform, external_id, post_id FROM post_change_staging WHERE deletion),
                     target AS (SELECT p.id, p.deleted_at, d.platform, d.external_id
                                  FROM d JOIN posts p ON p.id = d.post_id),
                     marked AS (UPDATE posts p SET deleted_at = $2 FROM target t
                                 WHERE p.id = t.id AND t.deleted_at IS NULL AND p.deleted_at IS NULL RETURNING p.id),
                     unmatched AS (INSERT INTO unmatched_deletions (incident_id, platform, external_id, source_id, received_at)
                                   SELECT $1, d.platform, d.external_id, $3, $2 FROM d
                                    WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.platform = d.platform AND t.external_id = d.external_id)
                                    ORDER BY d.platform, d.external_id
                                   ON CONFLICT DO NOTHING RETURNING 1)
                SELECT (SELECT count(*) FROM unmatched), coalesce(array(SELECT id FROM marked ORDER BY id), '{}')
                """, connection, transaction)
            {
                Parameters = { new() { Value = batch.IncidentId }, new() { Value = receivedAt }, new() { Value = batch.SourceId } },
            };
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            deletionsUnmatched = (int)reader.GetInt64(0);
            var marked = reader.GetFieldValue<long[]>(1);
            deletionsApplied = marked.Length;
            foreach (var postId in marked)
            {
                if (!insertedIds.Contains(postId))
                    changes.Add(new PostChange(postId, batch.IncidentId, PostChangeKind.Deleted, null, receivedAt));
            }
        }
        return new Outcome(changes, versionsStored, deletionsApplied, deletionsUnmatched);
    }
    /// <summary>
    /// The stored post each edit and deletion of the batch names, by its index in the batch (those of posts never stored
    /// are absent). Looked up by <c>posts_with_keys</c> (migration 0900, a generic plan) and then joined by id: joined on
    /// the key, the statements below were planned from statistics that can say a growing incident holds a handful of
    /// posts, and scanned all of them once per edit.
    /// </summary>
    private static async Task<Dictionary<int, long>> PostIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        PostBatch batch, PostMarker[] markers, CancellationToken cancellationToken)
    {
        var indexes = new List<int>();
        for (var i = 0; i < batch.Posts.Count; i++)
        {
            if (markers[i].Kind != PostMarkerKind.Post)
                indexes.Add(i);
        }
        var ids = new Dictionary<int, long>(indexes.Count);
        await using var lookUp = new NpgsqlCommand("SELECT ord, id FROM posts_with_keys($1, $2, $3)", connection, transaction)
        {
            Parameters =
            {
                new() { Value = batch.IncidentId },
                new() { Value = indexes.Select(i => batch.Posts[i].Platform).ToArray() },
                new() { Value = indexes.Select(i => batch.Posts[i].ExternalId).ToArray() },
            },
        };
        await using var reader = await lookUp.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            ids[indexes[reader.GetInt32(0) - 1]] = reader.GetInt64(1);
        return ids;
    }
}
