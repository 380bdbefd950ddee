using System.Collections.Concurrent;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Core.Temperature;
using CrisisDesk.Data.Domain;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>A spike as the war room shows it: what (a source or a story), which minute, how many against what baseline.</summary>
public sealed record SpikeNotice(string Kind, long Key, string Label, DateTimeOffset Minute, int Count, double BaselineMean, double ZScore);

/// <summary>One source's posts per minute.</summary>
public sealed record SourceVolume(int SourceId, string Name, IReadOnlyList<VolumePoint> Minutes);

/// <summary>A minute of a chart.</summary>
public sealed record VolumePoint(DateTime Minute, int Count)
{
    public string Label => Minute.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The temperature of an incident now: volumes per source, and the spikes and mood shifts of the last minutes of event time.</summary>
public sealed record TemperatureSnapshot(IReadOnlyList<SourceVolume> Sources, IReadOnlyList<SpikeNotice> ActiveSpikes, IReadOnlyList<SpikeNotice> RecentSpikes,
    MoodShift? ActiveMoodShift = null);

/// <summary>
/// The temperature of each watched incident: per-minute volume per source and per story, with spike detection against a
/// trailing baseline (<see cref="TemperatureTracker{TKey}"/>). One board per incident per node, shared by every war
/// room; it is seeded from the last hour of stored posts, then fed by the live feed (only committed posts count).
/// </summary>
public sealed class IncidentTemperature(LiveFeed liveFeed, NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts) : IDisposable
{
    /// <summary>Minutes of event time the charts show.</summary>
    public const int ChartMinutes = 30;

    private readonly ConcurrentDictionary<int, Lazy<Task<Board>>> _boards = new();

    public async Task<TemperatureSnapshot> SnapshotAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        var board = await BoardAsync(incidentId).WaitAsync(cancellationToken);
        return board.Snapshot();
    }

    /// <summary>A story's posts per minute (closed minutes, then the one in progress).</summary>
    public async Task<IReadOnlyList<VolumePoint>> StoryVolumesAsync(int incidentId, long storyId, CancellationToken cancellationToken = default)
    {
        var board = await BoardAsync(incidentId).WaitAsync(cancellationToken);
        return board.StoryVolumes(storyId);
    }

    private Task<Board> BoardAsync(int incidentId)
    {
        var lazy = _boards.GetOrAdd(incidentId, id => new Lazy<Task<Board>>(() => Board.StartAsync(id, liveFeed, dataSource, contexts)));
        var task = lazy.Value;
        if (task.IsFaulted)
            _boards.TryRemove(new KeyValuePair<int, Lazy<Task<Board>>>(incidentId, lazy)); // the next look tries again
        return task;
    }

    public void Dispose()
    {
        foreach (var lazy in _boards.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                lazy.Value.Result.Dispose();
        }
    }

    private sealed class Board : IDisposable
    {
        private const int KeptSpikes = 30;
        private readonly Lock _gate = new();
        private readonly TemperatureTracker<int> _bySource = new(new TemperatureOptions { HistoryMinutes = ChartMinutes });
        private readonly TemperatureTracker<long> _byStory = new(new TemperatureOptions { HistoryMinutes = ChartMinutes });
        private readonly MoodShiftTracker _mood = new();
        private MoodShift? _lastMoodShift;
        private readonly Dictionary<int, string> _sourceNames = new();
        private readonly LinkedList<SpikeNotice> _spikes = new();
        private readonly NpgsqlDataSource _dataSource;
        private readonly IDbContextFactory<CrisisDeskDbContext> _contexts;
        private readonly int _incidentId;
        private readonly TaskCompletionSource _seeded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IDisposable? _subscription;
        private long _seededUpTo;
        private DateTimeOffset _latest = DateTimeOffset.MinValue;

        private Board(int incidentId, NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
        {
            _incidentId = incidentId;
            _dataSource = dataSource;
            _contexts = contexts;
        }

        public static async Task<Board> StartAsync(int incidentId, LiveFeed liveFeed, NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
        {
            var board = new Board(incidentId, dataSource, contexts);
            // Subscribe first, so nothing committed while seeding is missed. Live posts wait for the seed, then what it
            // counted is skipped by id: an incident's posts commit in id order, so the seed holds every post up to its newest.
            board._subscription = liveFeed.Subscribe(incidentId, board.OnLiveAsync, TimeSpan.FromMilliseconds(250));
            try
            {
                await board.SeedAsync();
                board._seeded.SetResult();
                return board;
            }
            catch
            {
                board._seeded.SetCanceled(); // a delivery waiting for the seed gives up
                board.Dispose();
                throw;
            }
        }

        private async Task SeedAsync()
        {
            var names = await SourceNamesAsync();
            // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
            await using var connection = await _dataSource.OpenConnectionAsync();
            var posts = await connection.QueryAsync<(long Id, int SourceId, long? StoryId, DateTime CreatedAt, float? Sentiment)>("""
                SELECT id, source_id, story_id, created_at, sentiment FROM posts
                 WHERE incident_id = @incidentId
                   AND created_at > (SELECT max(created_at) FROM posts WHERE incident_id = @incidentId) - make_interval(mins => @minutes)
                 ORDER BY created_at, id
                """, new { incidentId = _incidentId, minutes = ChartMinutes + 30 });
            lock (_gate)
            {
                foreach (var (id, name) in names)
                    _sourceNames[id] = name;
                foreach (var post in posts)
                {
                    Record(post.SourceId, post.StoryId, DbTime.Utc(post.CreatedAt), post.Sentiment);
                    _seededUpTo = Math.Max(_seededUpTo, post.Id);
                }
            }
        }

        private async Task OnLiveAsync(LiveUpdate update)
        {
            await _seeded.Task;
            var unknownSource = false;
            lock (_gate)
            {
                foreach (var stored in update.Posts.OrderBy(p => p.Post.CreatedAt))
                {
                    if (stored.Id <= _seededUpTo)
                        continue;
                    unknownSource |= !_sourceNames.ContainsKey(stored.SourceId);
                    Record(stored.SourceId, stored.StoryId, stored.Post.CreatedAt, stored.Classification?.Sentiment);
                }
            }
            if (unknownSource)
            {
                var names = await SourceNamesAsync();
                lock (_gate)
                    foreach (var (id, name) in names)
                        _sourceNames[id] = name;
            }
        }

        /// <summary>The incident's sources by id (removed ones too: their posts still count).</summary>
        private async Task<List<(int Id, string Name)>> SourceNamesAsync()
        {
            await using var db = await _contexts.CreateDbContextAsync();
            var rows = await db.Sources.AsNoTracking().Where(s => s.IncidentId == _incidentId).Select(s => new { s.Id, s.Name }).ToListAsync();
            return rows.Select(s => (s.Id, s.Name)).ToList();
        }

        private void Record(int sourceId, long? storyId, DateTimeOffset at, float? sentiment)
        {
            if (at > _latest)
                _latest = at;
            if (sentiment is { } score && _mood.Record(at, score) is { } shift)
                _lastMoodShift = shift;
            if (_bySource.Record(sourceId, at) is { } sourceSpike)
                Keep(new SpikeNotice("source", sourceId, $"source {_sourceNames.GetValueOrDefault(sourceId, sourceId.ToString(System.Globalization.CultureInfo.InvariantCulture))}",
                    sourceSpike.Minute, sourceSpike.Count, sourceSpike.BaselineMean, sourceSpike.ZScore));
            if (storyId is { } story && _byStory.Record(story, at) is { } storySpike)
                Keep(new SpikeNotice("story", story, $"story {story}", storySpike.Minute, storySpike.Count, storySpike.BaselineMean, storySpike.ZScore));
        }

        private void Keep(SpikeNotice spike)
        {
            _spikes.AddFirst(spike);
            if (_spikes.Count > KeptSpikes)
                _spikes.RemoveLast();
        }

        public TemperatureSnapshot Snapshot()
        {
            lock (_gate)
            {
                var sources = _sourceNames.Keys.Order()
                    .Select(id => new SourceVolume(id, _sourceNames[id], Points(_bySource.Volumes(id))))
                    .Where(s => s.Minutes.Count > 0)
                    .ToList();
                // Active: called in the minute in progress or the one before it, in event time.
                // (An incident with no posts yet has no latest time: nothing is active.)
                var activeFrom = _latest == default ? _latest : _latest.AddMinutes(-2);
                var recent = _spikes.ToList();
                return new TemperatureSnapshot(sources, recent.Where(s => s.Minute > activeFrom).ToList(), recent,
                    _lastMoodShift is { } shift && shift.Minute > activeFrom ? shift : null);
            }
        }

        public IReadOnlyList<VolumePoint> StoryVolumes(long storyId)
        {
            lock (_gate)
                return Points(_byStory.Volumes(storyId));
        }

        private static List<VolumePoint> Points(IReadOnlyList<MinuteVolume> volumes) =>
            volumes.TakeLast(ChartMinutes).Select(v => new VolumePoint(v.Minute.UtcDateTime, v.Count)).ToList();

        public void Dispose() => _subscription?.Dispose();
    }
}
