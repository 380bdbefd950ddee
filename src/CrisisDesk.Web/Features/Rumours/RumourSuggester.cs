using System.Collections.Concurrent;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Watches the committed posts of every incident that has open rumours and proposes, as suggestions, the stories whose
/// posts look like a tracked rumour (<see cref="RumourMatcher"/>). A story already linked, or already proposed (whatever
/// the decision was), is not proposed again for that rumour; nothing is ever linked without a person confirming it.
/// </summary>
public sealed class RumourSuggester(NpgsqlDataSource dataSource, LiveFeed liveFeed, IncidentActivityFeed activity, TimeProvider time,
    ILogger<RumourSuggester> logger) : IHostedService
{
    private readonly NpgsqlDataSource _dataSource = dataSource;
    private readonly LiveFeed _liveFeed = liveFeed;
    private readonly IncidentActivityFeed _activity = activity;
    private readonly TimeProvider _time = time;
    private readonly ILogger<RumourSuggester> _logger = logger;

    /// <summary>How many of the incident's latest posts a new rumour is checked against.</summary>
    public const int RecentPostsScanned = 5_000;

    private readonly ConcurrentDictionary<int, IncidentWatch> _watches = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            var incidents = await connection.QueryAsync<int>("SELECT DISTINCT incident_id FROM rumours WHERE status <> 'Resolved'");
            foreach (var incidentId in incidents)
                WatchOf(incidentId);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Not migrated yet (a first start): there are no rumours to watch.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var watch in _watches.Values)
            watch.Dispose();
        _watches.Clear();
        return Task.CompletedTask;
    }

    /// <summary>A rumour of the incident was created or changed: re-read the rumours; after a creation, check recent posts too.</summary>
    public void RumoursChanged(int incidentId, bool scanRecent)
    {
        var watch = WatchOf(incidentId);
        watch.Invalidate();
        if (scanRecent)
            _ = watch.ScanRecentAsync();
    }

    /// <summary>Checks the incident's recent posts now and returns how many suggestions were added (tests and the scan use it).</summary>
    internal Task<int> ScanRecentAsync(int incidentId) => WatchOf(incidentId).ScanRecentAsync();

    private IncidentWatch WatchOf(int incidentId) => _watches.GetOrAdd(incidentId, id => new IncidentWatch(this, id));

    private readonly record struct Candidate(long PostId, long StoryId, string Text);

    private sealed record TrackedRumour(int Id, RumourMatcher Matcher, HashSet<long> KnownStories);

    private sealed class IncidentWatch : IDisposable
    {
        private readonly RumourSuggester _owner;
        private readonly int _incidentId;
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly IDisposable _subscription;
        private List<TrackedRumour>? _rumours;

        public IncidentWatch(RumourSuggester owner, int incidentId)
        {
            _owner = owner;
            _incidentId = incidentId;
            _subscription = owner._liveFeed.Subscribe(incidentId, update => ProcessAsync(
                update.Posts.Where(p => p.StoryId is not null).Select(p => new Candidate(p.Id, p.StoryId!.Value, p.Post.Text)).ToList()),
                TimeSpan.FromMilliseconds(500));
        }

        public void Invalidate() => Volatile.Write(ref _rumours, null);

        public async Task<int> ScanRecentAsync()
        {
            try
            {
                List<Candidate> posts;
                // The connection is given back before waiting for the gate: scans asked for in quick succession (one
                // per rumour created) would otherwise each hold one while they queue, and drain the pool.
                await using (var connection = await _owner._dataSource.OpenConnectionAsync())
                {
                    posts = (await connection.QueryAsync<(long PostId, long StoryId, string Text)>("""
                        SELECT id, story_id, text FROM posts WHERE incident_id = @incidentId AND story_id IS NOT NULL ORDER BY id DESC LIMIT @limit
                        """, new { incidentId = _incidentId, limit = RecentPostsScanned })).Select(p => new Candidate(p.PostId, p.StoryId, p.Text)).ToList();
                }
                return await ProcessAsync(posts);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                _owner._logger.LogWarning(e, "Scanning incident {IncidentId} for rumour suggestions failed.", _incidentId);
                return 0;
            }
        }

        private async Task<int> ProcessAsync(IReadOnlyList<Candidate> posts)
        {
            if (posts.Count == 0)
                return 0;
            await _gate.WaitAsync();
            try
            {
                var rumours = _rumours ??= await LoadAsync();
                if (rumours.Count == 0)
                    return 0;
                var found = new List<(int RumourId, Candidate Post, RumourMatch Match)>();
                foreach (var rumour in rumours)
                {
                    foreach (var post in posts)
                    {
                        if (rumour.KnownStories.Contains(post.StoryId) || rumour.Matcher.Match(post.Text) is not { } match)
                            continue;
                        rumour.KnownStories.Add(post.StoryId);
                        found.Add((rumour.Id, post, match));
                    }
                }
                if (found.Count == 0)
                    return 0;
                await using var connection = await _owner._dataSource.OpenConnectionAsync();
                var added = await connection.ExecuteAsync("""
                    INSERT INTO rumour_suggestions (rumour_id, story_id, post_id, score, reason)
                    SELECT s.rumour_id, s.story_id, s.post_id, s.score, s.reason
                      FROM unnest(@rumourIds, @storyIds, @postIds, @scores, @reasons) AS s (rumour_id, story_id, post_id, score, reason)
                     WHERE NOT EXISTS (SELECT 1 FROM rumour_stories l WHERE l.rumour_id = s.rumour_id AND l.story_id = s.story_id)
                    ON CONFLICT (rumour_id, story_id) DO NOTHING
                    """, new
                {
                    rumourIds = found.Select(f => f.RumourId).ToArray(),
                    storyIds = found.Select(f => f.Post.StoryId).ToArray(),
                    postIds = found.Select(f => f.Post.PostId).ToArray(),
                    scores = found.Select(f => f.Match.Score).ToArray(),
                    reasons = found.Select(f => f.Match.Reason).ToArray(),
                });
                if (added > 0)
                {
                    foreach (var rumourId in found.Select(f => f.RumourId).Distinct())
                        _owner._activity.Publish(new IncidentActivity(_incidentId, "rumour.suggested", "system", _owner._time.GetUtcNow(), RumourId: rumourId,
                            Summary: $"new suggestions for rumour {rumourId}"));
                }
                return added;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // A suggestion missed now is not a post lost: the next posts of the story, or a rescan, propose it again.
                _owner._logger.LogWarning(e, "Looking for rumour suggestions in incident {IncidentId} failed.", _incidentId);
                Invalidate();
                return 0;
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<List<TrackedRumour>> LoadAsync()
        {
            await using var connection = await _owner._dataSource.OpenConnectionAsync();
            var rumours = await connection.QueryAsync<(int, string, string[])>(
                "SELECT id, claim, keywords FROM rumours WHERE incident_id = @incidentId AND status <> 'Resolved'", new { incidentId = _incidentId });
            var result = new List<TrackedRumour>();
            foreach ((int id, string claim, string[] keywords) in rumours)
            {
                var exemplars = await connection.QueryAsync<string>("""
                    SELECT p.text FROM rumour_posts rp JOIN posts p ON p.id = rp.post_id WHERE rp.rumour_id = @id ORDER BY rp.linked_at LIMIT 8
                    """, new { id });
                var known = await connection.QueryAsync<long>("""
                    SELECT story_id FROM rumour_stories WHERE rumour_id = @id
                    UNION SELECT story_id FROM rumour_suggestions WHERE rumour_id = @id
                    """, new { id });
                result.Add(new TrackedRumour(id, new RumourMatcher(claim, keywords, exemplars), known.ToHashSet()));
            }
            return result;
        }

        public void Dispose() => _subscription.Dispose();
    }
}
