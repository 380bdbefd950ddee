using System.Security.Claims;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.Extensions.Logging;
using Microsoft.JSInterop;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// The incident's live view and triage desk. The feed is a window onto the database anchored at the newest post shown,
/// so 100,000 posts cost no more than 100; live updates move the anchor (or, paused, only count what is waiting).
/// Filters narrow the same window; operators' actions arrive on the activity feed and show in every open war room.
/// </summary>
public sealed partial class WarRoom : IAsyncDisposable
{
    /// <summary>How often at most a war room re-renders for new posts.</summary>
    public static readonly TimeSpan UpdateThrottle = TimeSpan.FromMilliseconds(250);

    /// <summary>How often at most the side panels (temperature, stories, media) are read again during a burst.</summary>
    private static readonly TimeSpan PanelRefresh = TimeSpan.FromSeconds(1);

    private const int ItemHeight = 112;

    private WarRoomIncident? _incident;
    private bool _notFound;
    private int? _loadedIncidentId;
    private Virtualize<TriagePost>? _virtualize;
    private readonly FeedCounter _feed = new();
    private VolumeSeries _series = new([]);
    private IReadOnlyList<MinuteVolume> _volume = [];
    private IReadOnlyList<SourceStatus> _sources = [];
    private IDisposable? _subscription;
    private IDisposable? _activitySubscription;
    private CancellationTokenSource? _refreshLoop;
    private DotNetObjectReference<WarRoom>? _keys;

    private string? _search;
    private string _platform = "";
    private string _language = "";
    private string _window = "";
    private bool _mediaOnly;
    private bool _unreviewedOnly;
    private bool _officialOnly;
    private TriageFilter _filter = TriageFilter.None;
    private IReadOnlyList<string> _platforms = [];
    private IReadOnlyList<string> _languages = [];

    private int _selectedIndex = -1;
    private TriagePost? _selected;
    private IReadOnlyList<PostVersion> _selectedVersions = [];
    private RumourDraft? _draft;
    private StoryRow? _story;
    private IReadOnlyList<TriagePost> _storyMembers = [];
    private IReadOnlyList<VolumePoint> _storyVolume = [];
    private IReadOnlyList<StoryRow> _stories = [];
    private IReadOnlyList<MediaItem> _media = [];
    private IReadOnlyList<RumourState> _openRumours = [];
    private TemperatureSnapshot _temperature = new([], [], []);
    private readonly LinkedList<IncidentActivity> _activity = new();
    private DateTimeOffset _panelsReadAt = DateTimeOffset.MinValue;
    private bool _panelsBehind;
    private bool _showHelp;
    private string? _message;

    [Parameter] public int IncidentId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject] private WarRoomQueries Queries { get; set; } = default!;
    [Inject] private TriageQueries Triage { get; set; } = default!;
    [Inject] private TriageCommands TriageCommands { get; set; } = default!;
    [Inject] private RumourCommands Rumours { get; set; } = default!;
    [Inject] private RumourQueries RumourQueries { get; set; } = default!;
    [Inject] private IncidentTemperature Temperature { get; set; } = default!;
    [Inject] private LiveFeed Feed { get; set; } = default!;
    [Inject] private IncidentActivityFeed ActivityFeed { get; set; } = default!;
    [Inject] private SourceMonitor Monitor { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private ILogger<WarRoom> Logger { get; set; } = default!;

    private sealed class RumourDraft
    {
        public string Claim { get; set; } = "";
        public RumourSeverity Severity { get; set; } = RumourSeverity.Medium;
        public string Owner { get; set; } = "";
        public long[] PostIds { get; init; } = [];
        public long[] StoryIds { get; init; } = [];
        public int LinkTo { get; set; }
    }

    protected override async Task OnParametersSetAsync()
    {
        // Parameters are set again when a cascading value (the sign-in state) is refreshed: only a new incident reloads.
        if (_loadedIncidentId == IncidentId)
            return;
        _loadedIncidentId = IncidentId;
        _subscription?.Dispose();
        _activitySubscription?.Dispose();
        _incident = await Queries.IncidentAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        if (RendererInfo.IsInteractive)
        {
            // Subscribe before reading the head, so nothing committed in between goes unseen; what the head already counts is skipped by id.
            _subscription = Feed.Subscribe(IncidentId, OnLiveUpdateAsync, UpdateThrottle);
            _activitySubscription = ActivityFeed.Subscribe(IncidentId, OnActivityAsync, UpdateThrottle);
            _refreshLoop ??= StartSourceRefresh();
        }
        await _feed.InTurnAsync(ReloadAsync);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_incident is not null && _keys is null && RendererInfo.IsInteractive)
        {
            _keys = DotNetObjectReference.Create(this);
            await JS.InvokeVoidAsync("crisisDesk.triageKeys", _keys);
        }
    }

    /// <summary>Reads the feed's head and everything beside it afresh; called in the feed's turn.</summary>
    private async Task ReloadAsync()
    {
        var (count, maxId) = await Triage.HeadAsync(IncidentId, _filter);
        _feed.Reset(count, maxId);
        _series = await Queries.VolumeAsync(IncidentId);
        _volume = _series.Minutes();
        _sources = SourcesOfIncident();
        (_platforms, _languages) = await Triage.FacetsAsync(IncidentId);
        _openRumours = await RumourQueries.OpenRumoursAsync(IncidentId);
        await ReadPanelsAsync();
    }

    private async Task ReadPanelsAsync()
    {
        _panelsReadAt = DateTimeOffset.UtcNow;
        _panelsBehind = false;
        _stories = await Triage.TopStoriesAsync(IncidentId, 10);
        _media = await Triage.MediaAsync(IncidentId, 15);
        _temperature = await Temperature.SnapshotAsync(IncidentId);
        if (_story is not null)
            await ReadStoryAsync(_story.Id);
    }

    private async ValueTask<ItemsProviderResult<TriagePost>> LoadPostsAsync(ItemsProviderRequest request)
    {
        var (anchorId, total) = (_feed.AnchorId, _feed.Total);
        if (anchorId == 0)
            return new ItemsProviderResult<TriagePost>([], 0);
        var posts = await VirtualizedRead.RunAsync(request, token => Triage.PageAsync(IncidentId, _filter, anchorId, request.StartIndex, request.Count, token));
        return new ItemsProviderResult<TriagePost>(posts, (int)Math.Min(total, int.MaxValue));
    }

    private Task OnLiveUpdateAsync(LiveUpdate update) => InvokeAsync(() => _feed.InTurnAsync(async () =>
    {
        // Edits and deletions of posts already stored: the window is read again (it shows their new state in place),
        // and the selected post with its versions if it is one of them.
        var changed = update.Changes.Count > 0;
        if (update.Overflowed)
        {
            await ReloadAsync();
        }
        else
        {
            var charted = _series.Add(update.Posts);
            _volume = _series.Minutes();
            var newestId = update.Posts.Count == 0 ? 0 : update.Posts.Max(p => p.Id);
            if (newestId <= _feed.LatestId && !changed && !charted)
                return;
            var joined = await _feed.AddAsync(newestId, (afterId, upToId) => Triage.CountBetweenAsync(IncidentId, _filter, afterId, upToId));
            if (_selectedIndex >= 0)
                _selectedIndex += (int)joined; // the selected post stays selected as newer ones arrive above it
            // An edit can make a post match a search or stop matching it.
            if (changed && _filter.HasSearch)
                _feed.Recount((await Triage.HeadAsync(IncidentId, _filter, _feed.AnchorId)).Count);
        }
        if (changed && _selected is { } selected && update.Changes.Any(c => c.PostId == selected.Id))
            await SelectPostAsync(await Triage.PostAsync(selected.Id));
        _sources = SourcesOfIncident();
        // The feed first, at once; the side panels (several queries) after it, at most once a second.
        StateHasChanged();
        if ((!_feed.Paused || changed) && _virtualize is not null)
            await _virtualize.RefreshDataAsync();
        if (DateTimeOffset.UtcNow - _panelsReadAt >= PanelRefresh)
        {
            await ReadPanelsAsync();
            StateHasChanged();
        }
        else
        {
            _panelsBehind = true; // the once-a-second refresh reads them, should no further post come
        }
    }));

    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) => InvokeAsync(() => _feed.InTurnAsync(async () =>
    {
        foreach (var item in batch.Where(a => a.Action != RumourPresence.Action))
        {
            _activity.AddFirst(item);
            if (_activity.Count > 15)
                _activity.RemoveLast();
        }
        if (batch.Any(a => a.Action.StartsWith("rumour.", StringComparison.Ordinal)))
            _openRumours = await RumourQueries.OpenRumoursAsync(IncidentId);
        if (batch.Any(a => a.Action is "post.reviewed") && _filter.UnreviewedOnly)
            _feed.Recount((await Triage.HeadAsync(IncidentId, _filter, _feed.AnchorId)).Count);
        if (_selected is not null && batch.Any(a => a.PostIds?.Contains(_selected.Id) == true))
            await SelectPostAsync(await Triage.PostAsync(_selected.Id));
        StateHasChanged();
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }));

    private async Task ApplyFiltersAsync()
    {
        _filter = new TriageFilter(
            string.IsNullOrWhiteSpace(_search) ? null : _search.Trim(),
            _platform.Length == 0 ? null : _platform,
            _language.Length == 0 ? null : _language,
            _mediaOnly,
            int.TryParse(_window, out var minutes) ? minutes : null,
            _unreviewedOnly,
            _officialOnly);
        _selectedIndex = -1;
        await SelectPostAsync(null);
        await _feed.InTurnAsync(ReloadAsync);
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    private async Task ClearFiltersAsync()
    {
        (_search, _platform, _language, _window, _mediaOnly, _unreviewedOnly, _officialOnly) = (null, "", "", "", false, false, false);
        await ApplyFiltersAsync();
    }

    private Task PauseAsync() => _feed.InTurnAsync(() =>
    {
        _feed.Pause();
        return Task.CompletedTask;
    });

    private Task ResumeAsync() => _feed.InTurnAsync(async () =>
    {
        var joined = _feed.Resume();
        if (_selectedIndex >= 0)
            _selectedIndex += (int)joined;
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    });

    /// <summary>Keyboard triage; every key has a visible control doing the same.</summary>
    [JSInvokable]
    public Task OnTriageKeyAsync(string key) => InvokeAsync(async () =>
    {
        switch (key)
        {
            case "j":
                await MoveAsync(1);
                break;
            case "k":
                await MoveAsync(-1);
                break;
            case "f" when _selected is not null:
                await FlagAsync(_selected);
                break;
            case "m" when _selected is not null:
                await ReviewAsync(_selected);
                break;
            case "?":
                ToggleHelp();
                break;
            case "Escape":
                _showHelp = false;
                _draft = null;
                break;
        }
        StateHasChanged();
    });

    private async Task MoveAsync(int delta)
    {
        if (_feed.Total == 0)
            return;
        var index = (int)Math.Clamp(_selectedIndex + delta, 0, _feed.Total - 1);
        var page = await Triage.PageAsync(IncidentId, _filter, _feed.AnchorId, index, 1);
        if (page.Count == 0)
            return;
        _selectedIndex = index;
        await SelectPostAsync(page[0]);
        await JS.InvokeVoidAsync("crisisDesk.scrollFeedTo", index * ItemHeight, ItemHeight);
    }

    private Task SelectAsync(TriagePost post) => SelectPostAsync(post);

    /// <summary>Selects a post (or none) and reads its versions when it was edited, for the selected-post panel.</summary>
    private async Task SelectPostAsync(TriagePost? post)
    {
        _selected = post;
        _selectedVersions = post?.EditedAt is null ? [] : await Triage.VersionsAsync(post.Id);
    }

    private async Task FlagAsync(TriagePost post)
    {
        await SelectPostAsync(post);
        if (await RunAsync(user => TriageCommands.FlagAsync(user, post.Id)))
        {
            var user = await UserAsync();
            var firstLine = post.Text.Split('\n', 2)[0].Trim();
            _draft = new RumourDraft { Claim = firstLine.Length > 200 ? firstLine[..200] : firstLine, Owner = user.ActorName(), PostIds = [post.Id] };
        }
    }

    private async Task ReviewAsync(TriagePost post)
    {
        await SelectPostAsync(post);
        if (await RunAsync(user => TriageCommands.MarkReviewedAsync(user, post.Id)) && _selectedIndex >= 0 && !_filter.UnreviewedOnly)
            await MoveAsync(1);
        else if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    private async Task OpenStoryAsync(long storyId)
    {
        await ReadStoryAsync(storyId);
    }

    private async Task ReadStoryAsync(long storyId)
    {
        _story = await Triage.StoryAsync(storyId);
        _storyMembers = _story is null ? [] : await Triage.StoryMembersAsync(storyId, 50);
        _storyVolume = await Temperature.StoryVolumesAsync(IncidentId, storyId);
    }

    private async Task DraftFromStory()
    {
        if (_story is null)
            return;
        var user = await UserAsync();
        _draft = new RumourDraft { Claim = Shorten(_story.SampleText), Owner = user.ActorName(), StoryIds = [_story.Id] };
    }

    private async Task CreateRumourAsync()
    {
        if (_draft is not { } draft)
            return;
        var id = 0;
        if (await RunAsync(async user => id = await Rumours.CreateAsync(user, IncidentId, draft.Claim, draft.Severity, draft.Owner, null, draft.PostIds, draft.StoryIds)))
        {
            _draft = null;
            _message = $"Rumour #{id} created.";
        }
    }

    private async Task LinkDraftAsync()
    {
        if (_draft is not { LinkTo: > 0 } draft)
            return;
        long? postId = draft.PostIds.Length > 0 ? draft.PostIds[0] : null;
        long? storyId = draft.StoryIds.Length > 0 ? draft.StoryIds[0] : null;
        if (await RunAsync(user => Rumours.LinkAsync(user, draft.LinkTo, postId, storyId)))
        {
            _draft = null;
            _message = $"Linked to rumour #{draft.LinkTo}.";
        }
    }

    /// <summary>Runs a command as the signed-in person; a refusal or bad input becomes the message on screen.</summary>
    private async Task<bool> RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        try
        {
            await command(await UserAsync());
            return true;
        }
        catch (Exception e) when (e is CommandDeniedException or RumourInputException or TriageInputException or RumourConflictException)
        {
            _message = e.Message;
            return false;
        }
    }

    private async Task<ClaimsPrincipal> UserAsync() => (await AuthenticationState).User;

    private void ToggleHelp() => _showHelp = !_showHelp;

    private static string Shorten(string text) => text.Length > 120 ? text[..117] + "…" : text;

    private IReadOnlyList<SourceStatus> SourcesOfIncident() => Monitor.Snapshot().Where(s => s.IncidentId == IncidentId).ToList();

    /// <summary>
    /// Once a second: source states change without posts (reconnecting, rate limited), and the side panels may be behind
    /// the last posts of a burst (a spike called after their last read would otherwise wait for the next post).
    /// </summary>
    private CancellationTokenSource StartSourceRefresh()
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                try
                {
                    var now = SourcesOfIncident();
                    if (!now.SequenceEqual(_sources))
                        await InvokeAsync(() => { _sources = now; StateHasChanged(); }).ConfigureAwait(false);
                    if (_panelsBehind)
                        await InvokeAsync(CatchUpPanelsAsync).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Logger.LogWarning(e, "The war room of incident {IncidentId} could not refresh its sources or panels; it tries again in a second", IncidentId);
                }
            }
        }, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        return stop;
    }

    private async Task CatchUpPanelsAsync()
    {
        if (!_panelsBehind || DateTimeOffset.UtcNow - _panelsReadAt < PanelRefresh)
            return;
        await ReadPanelsAsync();
        StateHasChanged();
    }

    /// <summary>The source's detail, and what its edits and deletions did (deletions of posts not held are only counted).</summary>
    private static string? SourceTitle(SourceStatus source)
    {
        var parts = new List<string>();
        if (source.Detail is { Length: > 0 } detail)
            parts.Add(detail);
        if (source.EditsStored + source.DeletionsApplied + source.DeletionsUnmatched > 0)
            parts.Add($"{source.EditsStored} edits kept as versions, {source.DeletionsApplied} posts deleted by their authors, {source.DeletionsUnmatched} deletions of posts not held");
        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

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
        _activitySubscription?.Dispose();
        _keys?.Dispose();
        if (_refreshLoop is not null)
        {
            await _refreshLoop.CancelAsync();
            _refreshLoop.Dispose();
        }
    }
}
