using System.Collections.Concurrent;
using CrisisDesk.Core.Posts;
using CrisisDesk.Core.Stories;
using CrisisDesk.Data.Posts;
using Npgsql;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>The stories of one batch's posts, ready for <see cref="PostWriter"/>.</summary>
public sealed record BatchStories(IReadOnlyList<long> StoryIds, IReadOnlyList<StoryGrowth> Growth);

/// <summary>
/// The pipeline's cluster stage: puts each post in a story (a group of near-duplicates) before the batch is written.
/// One <see cref="StoryClusterer"/> per incident, used by one batch at a time (every source of the incident shares it,
/// so a copy on Mastodon joins the story the tweet started).
/// </summary>
/// <remarks>
/// The clusterer's own story numbers live only in memory; the database's story ids come from <c>stories_id_seq</c>,
/// taken here before the batch's transaction. A sequence never hands a value out twice, so a batch that is retried keeps
/// its ids, and one lost in a crash leaves only a gap (the story row is created by whichever batch first commits a
/// member). After a restart the clusterer is re-seeded from the incident's recent stored posts, in arrival order, each
/// mapped to the story it was stored with, so that new copies still join their story.
/// </remarks>
public sealed class StoryClusterStage(NpgsqlDataSource dataSource, StoryClustererOptions? options = null)
{
    /// <summary>At most this many recent posts re-seed an incident's clusterer after a restart.</summary>
    public const int SeedLimit = 50_000;

    private readonly StoryClustererOptions _options = options ?? new StoryClustererOptions();
    private readonly ConcurrentDictionary<int, IncidentClusterer> _incidents = new();

    /// <summary>Assigns every post of the batch to a story, in order.</summary>
    public async Task<BatchStories> AssignAsync(int incidentId, IReadOnlyList<Post> posts, CancellationToken cancellationToken)
    {
        var incident = _incidents.GetOrAdd(incidentId, _ => new IncidentClusterer(new StoryClusterer(_options)));
        await incident.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!incident.Seeded)
            {
                await SeedAsync(incidentId, incident, cancellationToken).ConfigureAwait(false);
                incident.Seeded = true;
            }
            return await AssignLockedAsync(incident, posts, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            incident.Gate.Release();
        }
    }

    private async Task<BatchStories> AssignLockedAsync(IncidentClusterer incident, IReadOnlyList<Post> posts, CancellationToken cancellationToken)
    {
        var assignments = new StoryAssignment[posts.Count];
        var unmapped = 0;
        for (var i = 0; i < posts.Count; i++)
        {
            var post = posts[i];
            assignments[i] = incident.Clusterer.Assign(KeyOf(post), post.Text, post.CreatedAt);
            if (!incident.DatabaseIds.ContainsKey(assignments[i].StoryId))
            {
                incident.DatabaseIds[assignments[i].StoryId] = -1;
                unmapped++;
            }
        }
        if (unmapped > 0)
        {
            long[] ids;
            try
            {
                ids = await NextStoryIdsAsync(unmapped, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // No id yet: the next batch that reaches these stories asks again.
                foreach (var pending in incident.DatabaseIds.Where(p => p.Value == -1).Select(p => p.Key).ToList())
                    incident.DatabaseIds.Remove(pending);
                throw;
            }
            var next = 0;
            foreach (var assignment in assignments)
            {
                if (incident.DatabaseIds[assignment.StoryId] == -1)
                    incident.DatabaseIds[assignment.StoryId] = ids[next++];
            }
        }

        var storyIds = new long[posts.Count];
        var growth = new Dictionary<long, double>();
        for (var i = 0; i < posts.Count; i++)
        {
            var id = incident.DatabaseIds[assignments[i].StoryId];
            storyIds[i] = id;
            // The last assignment of a story in the batch carries its growth after the whole batch.
            growth[id] = assignments[i].Story.GrowthPerMinute;
        }
        incident.ForgetExpired();
        return new BatchStories(storyIds, growth.Select(g => new StoryGrowth(g.Key, g.Value)).ToList());
    }

    private async Task<long[]> NextStoryIdsAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT nextval('stories_id_seq') FROM generate_series(1, $1)", connection)
        {
            Parameters = { new() { Value = count } },
        };
        var ids = new long[count];
        var i = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            ids[i++] = reader.GetInt64(0);
        return ids;
    }

    /// <summary>Replays the incident's posts of the last window (by event time) through the clusterer, in arrival order.</summary>
    private async Task SeedAsync(int incidentId, IncidentClusterer incident, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT platform, external_id, text, created_at, story_id FROM (
                SELECT id, platform, external_id, text, created_at, story_id
                  FROM posts
                 WHERE incident_id = $1 AND story_id IS NOT NULL
                   AND created_at >= (SELECT max(created_at) FROM posts WHERE incident_id = $1) - $2
                 ORDER BY id DESC LIMIT $3) recent
             ORDER BY id
            """, connection)
        {
            Parameters = { new() { Value = incidentId }, new() { Value = _options.Window }, new() { Value = SeedLimit } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var assignment = incident.Clusterer.Assign($"{reader.GetString(0)}:{reader.GetString(1)}", reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3));
            // A story the clusterer opens during the seed is the stored story of the post that opened it.
            if (assignment.IsNewStory)
                incident.DatabaseIds[assignment.StoryId] = reader.GetInt64(4);
        }
    }

    private static string KeyOf(Post post) => $"{post.Platform}:{post.ExternalId}";

    private sealed class IncidentClusterer(StoryClusterer clusterer)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public StoryClusterer Clusterer { get; } = clusterer;

        public bool Seeded { get; set; }

        /// <summary>The clusterer's story number → the database's story id.</summary>
        public Dictionary<long, long> DatabaseIds { get; } = new();

        private int _assignedSinceSweep;

        /// <summary>Drops the ids of stories the clusterer has let go, now and then, so the map stays as small as the clusterer.</summary>
        public void ForgetExpired()
        {
            if (++_assignedSinceSweep < 256 || DatabaseIds.Count <= 2 * Math.Max(Clusterer.ActiveStoryCount, 1024))
                return;
            _assignedSinceSweep = 0;
            foreach (var id in DatabaseIds.Keys.Where(id => !Clusterer.TryGetStory(id, out _)).ToList())
                DatabaseIds.Remove(id);
        }
    }
}
