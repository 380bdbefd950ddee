using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.JSInterop;
using MudBlazor;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A post of the feed with its place in it (newest first), so selecting it lets j and k move on from there.</summary>
public sealed record FeedItem(int Index, TriagePost Post);

/// <summary>
/// The incident's live feed and keyboard triage. The feed is a window onto the database anchored at the newest post
/// shown, so 100,000 posts cost no more than 100; live updates move the anchor (or, paused, only count what waits).
/// Operators' triage marks arrive on the activity feed and show in every open war room.
/// </summary>
public sealed partial class TriageFeed : IAsyncDisposable
{
    /// <summary>How often at most the feed re-renders for new posts.</summary>
    public static readonly TimeSpan UpdateThrottle = TimeSpan.FromMilliseconds(250);

    /// <summary>A card's usual height; Virtualize measures the real ones, this only guides its first guess.</summary>
    private const int EstimatedHeight = 120;

    private readonly FeedCounter _feed = new();
    private Virtualize<FeedItem>? _virtualize;
    private IDisposable? _subscription;
    private IDisposable? _activitySubscription;
    private DotNetObjectReference<TriageFeed>? _keys;
    private int? _loadedIncidentId;
    private TriageFilter? _loadedFilter;
    private TriageFilter _filter = TriageFilter.None;
    private bool _loaded;
    private int _selectedIndex = -1;
    private long? _selectedId;
    private (long PostId, int Index)? _scrollTo;

    [Parameter, EditorRequired] public int IncidentId { get; set; }

    /// <summary>The filters as chosen; the feed adds the incident's clock to a time window.</summary>
    [Parameter] public TriageFilter Filter { get; set; } = TriageFilter.None;

    [Parameter] public bool OnEventTime { get; set; }
    [Parameter] public bool CanTriage { get; set; }
    [Parameter] public long? SelectedPostId { get; set; }

    /// <summary>Start paused (a view restored after the circuit was paused or evicted).</summary>
    [Parameter] public bool StartPaused { get; set; }

    [Parameter] public EventCallback<TriagePost?> SelectedChanged { get; set; }
    [Parameter] public EventCallback<TriagePost> OnOpen { get; set; }
    [Parameter] public EventCallback<TriagePost> OnFlagged { get; set; }
    [Parameter] public EventCallback<long> OnOpenStory { get; set; }
    [Parameter] public EventCallback<bool> PausedChanged { get; set; }
    [Parameter] public EventCallback OnHelp { get; set; }
    [Parameter] public EventCallback OnEscape { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject] private TriageQueries Triage { get; set; } = default!;
    [Inject] private TriageCommands Commands { get; set; } = default!;
    [Inject] private WarRoomQueries Queries { get; set; } = default!;
    [Inject] private LiveFeed Feed { get; set; } = default!;
    [Inject] private IncidentActivityFeed ActivityFeed { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    /// <summary>The feed's counter, for the page's tests of what it shows.</summary>
    internal FeedCounter Counter => _feed;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedIncidentId != IncidentId)
        {
            _loadedIncidentId = IncidentId;
            _subscription?.Dispose();
            _activitySubscription?.Dispose();
            if (RendererInfo.IsInteractive)
            {
                // Subscribe before reading the head, so nothing committed in between goes unseen; what the head already counts is skipped by id.
                _subscription = Feed.Subscribe(IncidentId, OnLiveUpdateAsync, UpdateThrottle);
                _activitySubscription = ActivityFeed.Subscribe(IncidentId, OnActivityAsync, UpdateThrottle);
            }
        }
        if (SelectedPostId != _selectedId)
        {
            // Closed or chosen from outside (a restored view): the place in the feed is not known until the next move.
            _selectedId = SelectedPostId;
            _selectedIndex = -1;
        }
        if (_loadedFilter == Filter)
            return;
        _loadedFilter = Filter;
        await _feed.InTurnAsync(ReloadAsync);
        if (StartPaused && !_loaded)
            _feed.Pause();
        _loaded = true;
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_keys is null && RendererInfo.IsInteractive)
        {
            _keys = DotNetObjectReference.Create(this);
            await JS.InvokeVoidAsync("crisisDesk.triageKeys", _keys);
        }
        if (_scrollTo is { } target)
        {
            _scrollTo = null;
            await JS.InvokeVoidAsync("crisisDesk.scrollFeedTo", target.PostId, target.Index * EstimatedHeight, EstimatedHeight);
        }
    }

    /// <summary>Reads the feed's head afresh (the window's end on the incident's clock); called in the feed's turn.</summary>
    private async Task ReloadAsync()
    {
        _filter = Filter.WindowMinutes is null ? Filter with { WindowEnd = null }
            : Filter with { WindowEnd = IncidentClock.Now(OnEventTime, await Queries.NewestEventTimeAsync(IncidentId), Time.GetUtcNow()) };
        var (count, maxId) = await Triage.HeadAsync(IncidentId, _filter);
        _feed.Reset(count, maxId);
    }

    private async ValueTask<ItemsProviderResult<FeedItem>> LoadPostsAsync(ItemsProviderRequest request)
    {
        var (anchorId, total, filter) = (_feed.AnchorId, _feed.Total, _filter);
        if (anchorId == 0)
            return new ItemsProviderResult<FeedItem>([], 0);
        var posts = await VirtualizedRead.RunAsync(request, token => Triage.PageAsync(IncidentId, filter, anchorId, request.StartIndex, request.Count, token));
        return new ItemsProviderResult<FeedItem>(posts.Select((p, i) => new FeedItem(request.StartIndex + i, p)), (int)Math.Min(total, int.MaxValue));
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
            var newestId = update.Posts.Count == 0 ? 0 : update.Posts.Max(p => p.Id);
            if (newestId <= _feed.LatestId && !changed)
                return;
            var joined = await _feed.AddAsync(newestId, (afterId, upToId) => Triage.CountBetweenAsync(IncidentId, _filter, afterId, upToId));
            if (_selectedIndex >= 0)
                _selectedIndex += (int)joined; // the selected post stays selected as newer ones arrive above it
            // An edit can make a post match a search or stop matching it.
            if (changed && _filter.HasSearch)
                _feed.Recount((await Triage.HeadAsync(IncidentId, _filter, _feed.AnchorId)).Count);
        }
        if (changed && _selectedId is { } selected && update.Changes.Any(c => c.PostId == selected))
            await SelectedChanged.InvokeAsync(await Triage.PostAsync(selected));
        StateHasChanged();
        if ((!_feed.Paused || changed) && _virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }));

    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) => InvokeAsync(() => _feed.InTurnAsync(async () =>
    {
        if (!batch.Any(a => a.PostIds is { Count: > 0 }))
            return;
        if (batch.Any(a => a.Action is "post.reviewed") && _filter.UnreviewedOnly)
            _feed.Recount((await Triage.HeadAsync(IncidentId, _filter, _feed.AnchorId)).Count);
        if (_selectedId is { } selected && batch.Any(a => a.PostIds?.Contains(selected) == true))
            await SelectedChanged.InvokeAsync(await Triage.PostAsync(selected));
        StateHasChanged();
        if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }));

    private Task PauseAsync() => _feed.InTurnAsync(async () =>
    {
        _feed.Pause();
        await PausedChanged.InvokeAsync(true);
    });

    private Task ResumeAsync() => _feed.InTurnAsync(async () =>
    {
        var joined = _feed.Resume();
        if (_selectedIndex >= 0)
            _selectedIndex += (int)joined;
        await PausedChanged.InvokeAsync(false);
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
            case "f" when CanTriage && await SelectedAsync() is { } post:
                await FlagAsync(post, _selectedIndex);
                break;
            case "m" when CanTriage && await SelectedAsync() is { } post:
                await ReviewAsync(post, _selectedIndex);
                break;
            case "o" when await SelectedAsync() is { } post:
                await OnOpen.InvokeAsync(post);
                break;
            case "?":
                await OnHelp.InvokeAsync();
                break;
            case "Escape":
                await OnEscape.InvokeAsync();
                break;
        }
        StateHasChanged();
    });

    private async Task<TriagePost?> SelectedAsync() => _selectedId is { } id ? await Triage.PostAsync(id) : null;

    private async Task MoveAsync(int delta)
    {
        if (_feed.Total == 0)
            return;
        var index = (int)Math.Clamp(_selectedIndex + delta, 0, _feed.Total - 1);
        var page = await Triage.PageAsync(IncidentId, _filter, _feed.AnchorId, index, 1);
        if (page.Count == 0)
            return;
        await SelectAsync(page[0], index);
        _scrollTo = (page[0].Id, index);
    }

    private async Task SelectAsync(TriagePost post, int index)
    {
        (_selectedIndex, _selectedId) = (index, post.Id);
        await SelectedChanged.InvokeAsync(post);
    }

    private async Task OpenAsync(TriagePost post, int index)
    {
        await SelectAsync(post, index);
        await OnOpen.InvokeAsync(post);
    }

    /// <summary>Flags the post (Operator; authorised and logged by the command), then the page opens "Flag as rumour".</summary>
    public async Task FlagAsync(TriagePost post, int index = -1)
    {
        if (index >= 0)
            await SelectAsync(post, index);
        if (await RunAsync(user => Commands.FlagAsync(user, post.Id)))
            await OnFlagged.InvokeAsync(post);
    }

    /// <summary>Marks the post reviewed and, when it is the selected one, moves on to the next.</summary>
    public async Task ReviewAsync(TriagePost post, int index = -1)
    {
        if (index >= 0)
            await SelectAsync(post, index);
        if (await RunAsync(user => Commands.MarkReviewedAsync(user, post.Id)) && _selectedIndex >= 0 && !_filter.UnreviewedOnly && post.Id == _selectedId)
            await MoveAsync(1);
        else if (_virtualize is not null)
            await _virtualize.RefreshDataAsync();
    }

    /// <summary>Runs a command as the signed-in person; a refusal or bad input is said in a snackbar.</summary>
    private async Task<bool> RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        try
        {
            await command((await AuthenticationState).User);
            return true;
        }
        catch (Exception e) when (e is CommandDeniedException or TriageInputException or RumourInputException)
        {
            Snackbar.Add(e.Message, Severity.Error);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _activitySubscription?.Dispose();
        _keys?.Dispose();
        await ValueTask.CompletedTask;
    }
}
