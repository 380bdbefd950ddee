using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Posts;
using Npgsql;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// What a web node reads from PostgreSQL to stay exact: the posts of an incident after the last id it holds. An
/// incident's batches commit in id order (the writer's per-incident advisory lock), so "after the last id" misses
/// nothing and repeats nothing. Also the edits and deletions received since a moment, for after a disconnect.
/// </summary>
internal sealed class FeedCatchUp(NpgsqlDataSource dataSource)
{
    /// <summary>The most posts one read returns; a longer gap is read in several.</summary>
    public const int ReadLimit = 10_000;

    /// <summary>Each incident's highest post id now (0 for none): where a web node starts.</summary>
    public async Task<Dictionary<int, long>> LatestIdsAsync(CancellationToken cancellationToken)
    {
        var latest = new Dictionary<int, long>();
        await using var command = dataSource.CreateCommand(
            "SELECT i.id, coalesce((SELECT max(p.id) FROM posts p WHERE p.incident_id = i.id), 0) FROM incidents i");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            latest[reader.GetInt32(0)] = reader.GetInt64(1);
        return latest;
    }

    public async Task<IReadOnlyList<int>> IncidentsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<int>();
        await using var command = dataSource.CreateCommand("SELECT id FROM incidents ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            ids.Add(reader.GetInt32(0));
        return ids;
    }

    /// <summary>The incident's posts with an id above <paramref name="afterId"/>, oldest first, at most <see cref="ReadLimit"/>.</summary>
    public async Task<List<StoredPost>> PostsAfterAsync(int incidentId, long afterId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, incident_id, source_id, received_at, platform, external_id, created_at, author_handle, author_name, text,
                   url, lang, has_media, extra::text, story_id, informativeness, information_type, sentiment
              FROM posts WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3
            """);
        command.Parameters.Add(new() { Value = incidentId });
        command.Parameters.Add(new() { Value = afterId });
        command.Parameters.Add(new() { Value = ReadLimit });
        var posts = new List<StoredPost>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var post = new Post
            {
                Platform = reader.GetString(4),
                ExternalId = reader.GetString(5),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(6),
                AuthorHandle = reader.IsDBNull(7) ? null : reader.GetString(7),
                AuthorName = reader.IsDBNull(8) ? null : reader.GetString(8),
                Text = reader.GetString(9),
                Url = reader.IsDBNull(10) ? null : reader.GetString(10),
                Language = reader.IsDBNull(11) ? null : reader.GetString(11),
                HasMedia = reader.GetBoolean(12),
                Extra = reader.IsDBNull(13) ? null : reader.GetString(13),
            };
            posts.Add(new StoredPost(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3), post)
            {
                StoryId = reader.IsDBNull(14) ? null : reader.GetInt64(14),
                Classification = reader.IsDBNull(15) || reader.IsDBNull(16) || reader.IsDBNull(17) ? null
                    : new PostClassification((Informativeness)reader.GetInt16(15), (InformationType)reader.GetInt16(16), reader.GetFloat(17)),
            });
        }
        return posts;
    }

    /// <summary>Edits and deletions received since <paramref name="since"/>, oldest first, every incident.</summary>
    public async Task<List<PostChange>> ChangesSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.id, p.incident_id, 0 AS kind, v.version, v.received_at
              FROM post_versions v JOIN posts p ON p.id = v.post_id
             WHERE v.received_at > $1 AND NOT v.original
            UNION ALL
            SELECT id, incident_id, 1, NULL, deleted_at FROM posts WHERE deleted_at > $1
            ORDER BY 5
            """);
        command.Parameters.Add(new() { Value = since });
        var changes = new List<PostChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            changes.Add(new PostChange(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2) == 0 ? PostChangeKind.Edited : PostChangeKind.Deleted,
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        return changes;
    }
}
