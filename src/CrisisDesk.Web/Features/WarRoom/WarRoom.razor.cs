using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Live;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// The incident's live view. The feed is a window onto the database anchored at the newest post shown, so 100,000
/// posts cost no more than 100; live updates move the anchor (or, paused, only count what is waiting).
/// </summary>
public sealed partial class WarRoom : IAsyncDisposable
{
    /// <summary>How often at most a war room re-renders for new posts.</summary>
    public static readonly TimeSpan UpdateThrottle = TimeSpan.FromMilliseconds(250);

    private IncidentSummary? _incident;
    private bool _notFound;
    private Virtualize<FeedPost>? _virtualize;
    private long _anchorId;
    private long _latestId;
    private long _total;
    private long _pendingCount;
    private bool _paused;
    private VolumeSeries _series = new([]);
    private IReadOnlyList<MinuteVolume> _volume = [];
    private IReadOnlyList<SourceStatus> _sources = [];
    private IDisposable? _subscription;
    private CancellationTokenSource? _refreshLoop;

    [Parameter] public int IncidentId { get; set; }

    [Inject] private WarRoomQueries Queries { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;
    [Inject] private LiveFeed Feed { get; set; } = default!;
    [Inject] private SourceMonitor Monitor { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _subscription?.Dispose();
        _incident = await Incidents.GetAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        if (RendererInfo.IsInteractive)
        {
            // Subscribe before reading the head, so nothing committed in between goes unseen; what the head already counts is skipped by id.
            _subscription = Feed.Subscribe(IncidentId, OnLiveUpdateAsync, UpdateThrottle);
            _refreshLoop ??= StartSourceRefresh();
        }
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        var (count, maxId) = await Queries.FeedHeadAsync(IncidentId);
        _total = count;
        _anchorId = _latestId = maxId;
        _pendingCount = 0;
        _series = new VolumeSeries(await Queries.VolumeAsync(IncidentId));
        _volume = _series.Minutes();
        _sources = SourcesOfIncident();
    }

    private async ValueTask<ItemsProviderResult<FeedPost>> LoadPostsAsync(ItemsProviderRequest request)
    {
        if (_anchorId == 0)
            return new ItemsProviderResult<FeedPost>([], 0);
        var posts = await Queries.FeedPageAsync(IncidentId, _anchorId, request.StartIndex, request.Count, request.CancellationToken);
        return new ItemsProviderResult<FeedPost>(posts, (int)Math.Min(_total, int.MaxValue));
    }

    private Task OnLiveUpdateAsync(LiveUpdate update) => InvokeAsync(async () =>
    {
        if (update.Overflowed)
        {
            await ReloadAsync();
        }
        else
        {
            var fresh = update.Posts.Where(p => p.Id > _latestId).ToList();
            if (fresh.Count == 0)
                return;
            _latestId = fresh.Max(p => p.Id);
            _series.Add(fresh);
            _volume = _series.Minutes();
            if (_paused)
                _pendingCount += fresh.Count;
            else
            {
                _total += fresh.Count;
                _anchorId = _latestId;
            }
        }
        _sources = SourcesOfIncident();
        StateHasChanged();
        if (!_paused && _virtualize is not null)
            await _virtualize.RefreshDataAsync();
    });

    private void Pause() => _paused = true;

    private async Task ResumeAsync()
    {
        _paused = false;
        _total += _pendingCount;
        _pendingCount = 0;
        _anchorId = _latestId;
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    private IReadOnlyList<SourceStatus> SourcesOfIncident() => Monitor.Snapshot().Where(s => s.IncidentId == IncidentId).ToList();

    /// <summary>Source states change without posts (reconnecting, rate limited): look again every second.</summary>
    private CancellationTokenSource StartSourceRefresh()
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                var now = SourcesOfIncident();
                if (!now.SequenceEqual(_sources))
                    await InvokeAsync(() => { _sources = now; StateHasChanged(); }).ConfigureAwait(false);
            }
        }, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        return stop;
    }

    /// <summary>Sixty bars cannot each carry a label: name every tenth minute.</summary>
    private static string TenMinuteLabel(object? label) =>
        label is string text && text.EndsWith('0') ? text : "";

    private static string StateLabel(SourceStatus source) => source.State switch
    {
        SourceState.Reconnecting when source.Until is { } until => $"reconnecting in {Math.Max(0, (until - DateTimeOffset.UtcNow).TotalSeconds):0} s",
        SourceState.RateLimited when source.Until is { } until => $"rate-limited until {until:HH:mm:ss}",
        SourceState.Failed => $"failed: {source.Detail}",
        SourceState.Completed => "replay complete",
        var state => state.ToString().ToLowerInvariant(),
    };

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        if (_refreshLoop is not null)
        {
            await _refreshLoop.CancelAsync();
            _refreshLoop.Dispose();
        }
    }
}
