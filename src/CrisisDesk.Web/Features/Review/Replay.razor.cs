using System.Diagnostics;
using System.Globalization;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Map;
using CrisisDesk.Web.Features.WarRoom;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Review;

/// <summary>
/// Replays an incident "as of T": posts received by T (a window onto the database, like the war room's feed), the
/// volume up to T, and the state folded from the events written by T. Playing advances T by real time × speed;
/// scrubbing or clicking an action sets it. Read-only: nothing here writes.
/// </summary>
public sealed partial class Replay : IAsyncDisposable
{
    private static readonly int[] Speeds = [1, 10, 60, 300, 600];
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    // A live incident's timeline (its end, its minute counts, its events) is read again this often while playing.
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromSeconds(5);

    private ReplayTimeline? _timeline;
    private List<ChartSeries<double>> _series = [];
    private string[] _labels = [];
    private int _bucketMinutes = 1;
    private string? _jumpText;
    private string? _jumpError;
    private IncidentState? _state;
    private bool _notFound;
    private DateTimeOffset _asOf;

    // The map follows the clock: read again only when the count of posts by then changed.
    private IReadOnlyList<MapMarker> _mapMarkers = [];
    private long _mapCountFor = -1;
    private long _count;
    private int _speed = 60;
    private bool _playing;
    private CancellationTokenSource? _playback;
    private Virtualize<FeedPost>? _virtualize;

    [Parameter] public int IncidentId { get; set; }

    /// <summary>Opens at this moment (ISO 8601), e.g. from a shared link; otherwise at the start.</summary>
    [SupplyParameterFromQuery(Name = "at")] public string? At { get; set; }

    [Inject] private ReplayQueries Queries { get; set; } = default!;
    [Inject] private MapQueries MapQueries { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _timeline = await Queries.TimelineAsync(IncidentId);
        _notFound = _timeline is null;
        if (_timeline is null)
            return;
        var start = DateTimeOffset.TryParse(At, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : _timeline.Start;
        await SeekAsync(start);
    }

    private async Task SeekAsync(DateTimeOffset asOf)
    {
        var timeline = _timeline!;
        _asOf = asOf < timeline.Start ? timeline.Start : asOf > timeline.End ? timeline.End : asOf;
        _count = await Queries.CountAsOfAsync(IncidentId, timeline.Volume, _asOf);
        if (_count != _mapCountFor)
        {
            _mapCountFor = _count;
            _mapMarkers = [.. (await MapQueries.LocatedPostsAsOfAsync(IncidentId, _asOf, 10_000))
                .Select(p => new MapMarker(p.Id, p.Latitude, p.Longitude, (p.AuthorHandle is { } h ? "@" + h + ": " : "") + p.Text))];
        }
        _state = IncidentStateFolder.Fold(timeline.Events, _asOf);
        var (labels, counts, bucketMinutes) = ReplayMoments.Volume(timeline.Volume.Minutes, timeline.Start, timeline.End, _asOf);
        _labels = labels;
        _bucketMinutes = bucketMinutes;
        _series = [new ChartSeries<double> { Name = "Posts received", Data = new ChartData<double>(counts) }];
        // About eight time labels along the axis, however long the incident.
        _chartOptions.XAxisLabelInterval = Math.Max(1, labels.Length / 8);
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    private async ValueTask<ItemsProviderResult<FeedPost>> LoadPostsAsync(ItemsProviderRequest request)
    {
        if (_count == 0)
            return new ItemsProviderResult<FeedPost>([], 0);
        var posts = await VirtualizedRead.RunAsync(request, token => Queries.PostsAsOfAsync(IncidentId, _asOf, request.StartIndex, request.Count, token));
        return new ItemsProviderResult<FeedPost>(posts, (int)Math.Min(_count, int.MaxValue));
    }

    private readonly BarChartOptions _chartOptions = new() { ShowLegend = false, YAxisTitle = "Posts", YAxisLines = true, ChartPalette = ["#b3261e"] };

    private async Task ScrubAsync(double seconds)
    {
        Pause();
        await SeekAsync(_timeline!.Start.AddSeconds(seconds));
    }

    /// <summary>"What the war room saw at 14:32": the first such moment in the incident.</summary>
    private async Task JumpToTimeAsync()
    {
        _jumpError = null;
        if (ReplayMoments.Parse(_jumpText, _timeline!.Start, _timeline.End) is { } moment)
        {
            Pause();
            await SeekAsync(moment);
        }
        else
        {
            _jumpError = $"Type a time between {Clock(_timeline.Start)} and {Clock(_timeline.End)} UTC, e.g. {Clock(_timeline.Start.AddMinutes((_timeline.End - _timeline.Start).TotalMinutes / 2))}.";
        }
    }

    /// <summary>Jumps to the moment an action was recorded: the state then includes it.</summary>
    private async Task JumpToAsync(ReviewEvent action)
    {
        Pause();
        await SeekAsync(action.At);
    }

    private async Task PreviousActionAsync()
    {
        if (_timeline!.Events.LastOrDefault(e => e.At < _asOf) is { } previous)
            await JumpToAsync(previous);
    }

    private async Task NextActionAsync()
    {
        if (_timeline!.Events.FirstOrDefault(e => e.At > _asOf) is { } next)
            await JumpToAsync(next);
    }

    private void Play()
    {
        if (_playing || _timeline is null)
            return;
        _playing = true;
        var stop = _playback = new CancellationTokenSource();
        _ = Task.Run(() => PlayAsync(stop.Token));
    }

    private void Pause()
    {
        _playing = false;
        _playback?.Cancel();
        _playback?.Dispose();
        _playback = null;
    }

    /// <summary>Advances by the real time that passed × speed each tick; one seek at a time, so a slow one delays rather than piles up.</summary>
    private async Task PlayAsync(CancellationToken stop)
    {
        try
        {
            using var timer = new PeriodicTimer(Tick);
            var clock = Stopwatch.StartNew();
            var lastRefresh = Stopwatch.StartNew();
            while (await timer.WaitForNextTickAsync(stop))
            {
                var elapsed = clock.Elapsed;
                clock.Restart();
                await InvokeAsync(async () =>
                {
                    if (stop.IsCancellationRequested)
                        return;
                    if (_timeline!.IsLive && lastRefresh.Elapsed > LiveRefresh)
                    {
                        _timeline = await Queries.TimelineAsync(IncidentId) ?? _timeline;
                        lastRefresh.Restart();
                    }
                    var next = _asOf + elapsed * _speed;
                    var atEnd = next >= _timeline.End && !_timeline.IsLive;
                    await SeekAsync(next);
                    if (atEnd)
                        Pause();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // Paused.
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    private static string Clock(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Where a moment sits along the action lane, as a CSS left offset.</summary>
    private string Percent(DateTimeOffset time)
    {
        var span = (_timeline!.End - _timeline.Start).TotalSeconds;
        var share = span <= 0 ? 0 : Math.Clamp((time - _timeline.Start).TotalSeconds / span, 0, 1);
        return (share * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>Flags, approvals and publications stand apart on the lane (colours from the theme, in the CSS).</summary>
    private static string MarkerClass(ReviewEvent e) => "marker-" + e.Noun switch
    {
        "post" or "rumour" => "rumour",
        "rebuttal" => "rebuttal",
        "alert" or "delivery" => "alert",
        _ => "other",
    };

    /// <summary>A status as stored ("ConfirmedFalse", "debunked") in words ("Confirmed false", "Debunked").</summary>
    private static string Word(string status)
    {
        var words = System.Text.RegularExpressions.Regex.Replace(status.Replace('_', ' ').Replace('-', ' '), "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant();
        return words.Length == 0 ? words : char.ToUpperInvariant(words[0]) + words[1..];
    }

    public ValueTask DisposeAsync()
    {
        Pause();
        return ValueTask.CompletedTask;
    }
}
