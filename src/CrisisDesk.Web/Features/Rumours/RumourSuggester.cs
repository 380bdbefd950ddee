using System.Collections.Concurrent;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Data.Domain;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Watches the committed posts of every incident that has open rumours and proposes, as suggestions, the stories whose
/// posts look like a tracked rumour (<see cref="RumourMatcher"/>). A story already linked, or already proposed (whatever
/// the decision was), is not proposed again for that rumour; nothing is ever linked without a person confirming it.
/// </summary>
public sealed class RumourSuggester(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts, LiveFeed liveFeed, IncidentActivityFeed activity, TimeProvider time,
    ILogger<RumourSuggester> logger) : IHostedService
{
    private readonly NpgsqlDataSource _dataSource = dataSource;
    private readonly IDbContextFactory<CrisisDeskDbContext> _contexts = contexts;
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
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            var incidents = await db.Rumours.AsNoTracking().Where(r => r.Status != "Resolved").Select(r => r.IncidentId).Distinct().ToListAsync(cancellationToken);
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
                // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
                await using (var connection = await _owner._dataSource.OpenConnectionAsync())
                {
                    posts = (await connection.QueryAsync<(long PostId, long StoryId, string Text)>("""
                        SELECT id, story_id, text FROM posts WHERE incident_id = @incidentId AND story_id IS NOT NULL ORDER BY id DESC LIMIT @limit
                        """, new { incidentId = _incidentId, limit = RecentPostsScanned })).Select(p => new Candidate(p.PostId, p.StoryId, p.Text)).ToList();
                }
                return await ProcessAsync(posts);
            }
            catch (ObjectDisposedException)
            {
                // The host is stopping and has disposed the database's services under a scan still running: nothing lost.
                return 0;
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
                int added;
                await using (var db = await _owner._contexts.CreateDbContextAsync())
                    added = await RumourSuggestionBatch.AddNewAsync(db,
                        found.Select(f => new ProposedRumourSuggestion(f.RumourId, f.Post.StoryId, f.Post.PostId, f.Match.Score, f.Match.Reason)).ToList());
                if (added > 0)
                {
                    foreach (var rumourId in found.Select(f => f.RumourId).Distinct())
                        _owner._activity.Publish(new IncidentActivity(_incidentId, "rumour.suggested", "system", _owner._time.GetUtcNow(), RumourId: rumourId,
                            Summary: $"new suggestions for rumour {rumourId}"));
                }
                return added;
            }
            catch (ObjectDisposedException)
            {
                return 0; // the host is stopping (as above)
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

        /// <summary>
        /// The incident's open rumours with their exemplars and known stories: five queries however many rumours there
        /// are (it runs after every rumour change, so one query per rumour would grow with the incident).
        /// </summary>
        private async Task<List<TrackedRumour>> LoadAsync()
        {
            await using var db = await _owner._contexts.CreateDbContextAsync();
            var rumours = await db.Rumours.AsNoTracking().Where(r => r.IncidentId == _incidentId && r.Status != "Resolved")
                .Select(r => new { r.Id, r.Claim, r.Keywords }).ToListAsync();
            if (rumours.Count == 0)
                return [];
            var ids = rumours.Select(r => r.Id).ToList();
            // The posts linked first are a rumour's exemplars: the links are read as ids, the first few picked here, and
            // only their texts read.
            var links = await db.RumourPosts.AsNoTracking().Where(l => ids.Contains(l.RumourId))
                .Select(l => new { l.RumourId, l.PostId, l.LinkedAt }).ToListAsync();
            var exemplarIds = links.GroupBy(l => l.RumourId)
                .ToDictionary(g => g.Key, g => g.OrderBy(l => l.LinkedAt).ThenBy(l => l.PostId).Take(RumourMatcher.MaxExemplars).Select(l => l.PostId).ToList());
            var wanted = exemplarIds.Values.SelectMany(p => p).Distinct().ToList();
            var texts = await db.PostReferences.Where(p => wanted.Contains(p.Id)).Select(p => new { p.Id, p.Text }).ToDictionaryAsync(p => p.Id, p => p.Text);
            var known = (await db.RumourStories.AsNoTracking().Where(l => ids.Contains(l.RumourId)).Select(l => new { l.RumourId, l.StoryId }).ToListAsync())
                .Concat(await db.RumourSuggestions.AsNoTracking().Where(g => ids.Contains(g.RumourId)).Select(g => new { g.RumourId, g.StoryId }).ToListAsync())
                .ToLookup(k => k.RumourId, k => k.StoryId);
            return rumours.Select(rumour =>
            {
                var exemplars = exemplarIds.TryGetValue(rumour.Id, out var postIds)
                    ? postIds.Where(texts.ContainsKey).Select(id => texts[id]).ToList()
                    : [];
                return new TrackedRumour(rumour.Id, new RumourMatcher(rumour.Claim, rumour.Keywords, exemplars), known[rumour.Id].ToHashSet());
            }).ToList();
        }

        public void Dispose() => _subscription.Dispose();
    }
}
