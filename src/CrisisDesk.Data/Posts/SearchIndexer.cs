using Npgsql;

namespace CrisisDesk.Data.Posts;

/// <summary>
/// Writes the full-text search documents of stored posts (<c>post_search</c>), off the ingest write path, and moves each
/// incident's <c>search_progress</c> along. Posts are indexed in id order per incident, which is their commit order
/// (<see cref="PostWriter"/>), so "indexed up to post N" leaves no gap below N. Search evaluates the posts above N itself
/// (<c>TriageQueries</c>), so nothing waits for the indexer to be found. Safe to run on several nodes at once.
/// </summary>
public sealed class SearchIndexer(NpgsqlDataSource dataSource)
{
    // Edits and retention write a post's document in their own transaction, with the change; the indexer, arriving
    // later, leaves what they wrote (ON CONFLICT DO NOTHING). Both take the posts in id order, as the indexer does.

    /// <summary>Upserts the search documents of the posts with the ids in $1 from their current text (an edit's).</summary>
    public const string ReindexPostsSql = """
        INSERT INTO post_search (post_id, incident_id, document)
        SELECT id, incident_id, to_tsvector('simple'::regconfig, text) FROM posts WHERE id = ANY($1) ORDER BY id
        ON CONFLICT (post_id) DO UPDATE SET document = excluded.document
        """;

    /// <summary>Empties the search documents of the posts with the ids in $1 (retention erased their text).</summary>
    public const string ClearPostsSql = """
        INSERT INTO post_search (post_id, incident_id, document)
        SELECT id, incident_id, ''::tsvector FROM posts WHERE id = ANY($1) ORDER BY id
        ON CONFLICT (post_id) DO UPDATE SET document = excluded.document
        """;

    /// <summary>Indexes up to <paramref name="batchSize"/> posts of each incident that has posts not yet indexed; returns how many.</summary>
    public async Task<int> IndexPendingAsync(int batchSize = 5000, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var behind = new List<(int IncidentId, long IndexedUpTo)>();
        await using (var find = new NpgsqlCommand("""
            SELECT i.id, coalesce(s.indexed_up_to, 0)
              FROM incidents i LEFT JOIN search_progress s ON s.incident_id = i.id
             WHERE EXISTS (SELECT 1 FROM posts p WHERE p.incident_id = i.id AND p.id > coalesce(s.indexed_up_to, 0))
            """, connection))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                behind.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }

        var indexed = 0;
        foreach (var (incidentId, indexedUpTo) in behind)
        {
            // One statement, one snapshot: the documents and the progress that vouches for them commit together.
            await using var index = new NpgsqlCommand("""
                WITH batch AS (
                    SELECT id, incident_id, text FROM posts WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3),
                documents AS (
                    INSERT INTO post_search (post_id, incident_id, document)
                    SELECT id, incident_id, to_tsvector('simple'::regconfig, text) FROM batch ORDER BY id
                    ON CONFLICT (post_id) DO NOTHING)
                INSERT INTO search_progress (incident_id, indexed_up_to)
                SELECT $1, max(id) FROM batch HAVING count(*) > 0
                ON CONFLICT (incident_id) DO UPDATE SET indexed_up_to = greatest(search_progress.indexed_up_to, excluded.indexed_up_to)
                RETURNING (SELECT count(*) FROM batch)::int
                """, connection)
            {
                Parameters = { new() { Value = incidentId }, new() { Value = indexedUpTo }, new() { Value = batchSize } },
            };
            indexed += await index.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int count ? count : 0;
        }
        return indexed;
    }
}
