using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Triage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>What the war room's side drawer shows.</summary>
public enum WarRoomDrawer { Post, Story, Rumour }

/// <summary>
/// The war room's view: filters, selected post, paused, the open drawer. Kept across a paused or evicted circuit
/// ([PersistentState]), so the person comes back to the view they left.
/// </summary>
public sealed class WarRoomView
{
    public TriageFilter Filter { get; set; } = TriageFilter.None;
    public long? SelectedPostId { get; set; }
    public bool Paused { get; set; }
    public WarRoomDrawer? Drawer { get; set; }
    public long? StoryId { get; set; }
}

/// <summary>
/// The incident's operations screen. It lays out the parts (source strip, spike banner, filters, feed, panels) and
/// holds the view they share; each part reads and refreshes its own data. Secondary tasks (the selected post, a
/// story, "Flag as rumour") open in a drawer, so their buttons are on screen while they are open.
/// </summary>
public sealed partial class WarRoom
{
    private WarRoomIncident? _incident;
    private GeoBox? _mapView;
    private bool _notFound;
    private int? _loadedIncidentId;
    private bool _canTriage;
    private TriageFeed? _feed;
    private IReadOnlyList<string> _platforms = [];
    private IReadOnlyList<string> _languages = [];

    private WarRoomDrawer? _drawer;
    private TriagePost? _selected;
    private IReadOnlyList<PostVersion> _selectedVersions = [];
    private StoryRow? _story;
    private IReadOnlyList<TriagePost> _storyMembers = [];
    private IReadOnlyList<VolumePoint> _storyVolume = [];
    private RumourDraft? _draft;
    private bool _showHelp;

    [Parameter] public int IncidentId { get; set; }

    /// <summary>The view, restored after the circuit was paused or evicted (and from prerendering).</summary>
    [PersistentState] public WarRoomView? Kept { get; set; }

    private WarRoomView View => Kept ??= new WarRoomView();

    /// <summary>
    /// The incident as the prerendered page showed it. The interactive page starts from it and reads it again; without
    /// it, its first render (while the incident is read) would be a skeleton in place of the whole prerendered page,
    /// the map drawn before the circuit included.
    /// </summary>
    [PersistentState] public WarRoomIncident? Shown { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject] private WarRoomQueries Queries { get; set; } = default!;
    [Inject] private TriageQueries Triage { get; set; } = default!;
    [Inject] private IncidentTemperature Temperature { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private string DrawerTitle => _drawer switch
    {
        WarRoomDrawer.Post => "Post",
        WarRoomDrawer.Story => "Story",
        WarRoomDrawer.Rumour => "Flag as rumour",
        _ => "Details",
    };

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedIncidentId == IncidentId)
            return;
        if (_loadedIncidentId is not null)
            Kept = new WarRoomView(); // another incident: its own view
        _loadedIncidentId = IncidentId;
        // Rendered while the read below is awaited: what the prerendered page showed (when it showed this incident).
        _incident = Shown?.Id == IncidentId ? Shown : null;
        var read = await Queries.IncidentAsync(IncidentId);
        _incident = Shown = read;
        _notFound = _incident is null;
        if (_incident is null)
            return;
        var user = (await AuthenticationState).User;
        _canTriage = (await Authorization.AuthorizeAsync(user, Policies.Operator)).Succeeded;
        (_platforms, _languages) = await Triage.FacetsAsync(IncidentId);
        await RestoreDrawerAsync();
    }

    /// <summary>Opens again what was open when the view was kept (a rumour being written is not kept: it was not created).</summary>
    private async Task RestoreDrawerAsync()
    {
        if (View.SelectedPostId is { } postId && await Triage.PostAsync(postId) is { } post)
            await ShowPostAsync(post, open: View.Drawer == WarRoomDrawer.Post);
        else
            View.SelectedPostId = null;
        if (View.Drawer == WarRoomDrawer.Story && View.StoryId is { } storyId)
            await OpenStoryAsync(storyId);
        else if (View.Drawer is WarRoomDrawer.Rumour)
            View.Drawer = null;
    }

    private async Task FilterChangedAsync(TriageFilter filter)
    {
        // "What the map shows" takes the map's view as it is now, and follows it (MapViewChanged).
        View.Filter = filter.Place == FeedPlace.MapView ? filter with { View = _mapView } : filter with { View = null };
        View.SelectedPostId = null;
        _selected = null;
        if (_drawer == WarRoomDrawer.Post)
            SetDrawer(null);
        (_platforms, _languages) = await Triage.FacetsAsync(IncidentId);
    }

    /// <summary>The map was panned or zoomed: a feed filtered by the map's view follows it (the selected post stays).</summary>
    private void MapViewChanged(GeoBox view)
    {
        _mapView = view;
        if (View.Filter.Place == FeedPlace.MapView)
            View.Filter = View.Filter with { View = view };
    }

    private async Task SelectedChangedAsync(TriagePost? post)
    {
        if (post is null)
        {
            View.SelectedPostId = null;
            _selected = null;
            if (_drawer == WarRoomDrawer.Post)
                SetDrawer(null);
            return;
        }
        await ShowPostAsync(post, open: _drawer == WarRoomDrawer.Post);
    }

    /// <summary>Makes the post the selected one (reading its versions when it was edited) and, when asked, opens it in the drawer.</summary>
    private async Task ShowPostAsync(TriagePost post, bool open)
    {
        View.SelectedPostId = post.Id;
        _selected = post;
        _selectedVersions = post.EditedAt is null ? [] : await Triage.VersionsAsync(post.Id);
        if (open)
            SetDrawer(WarRoomDrawer.Post);
    }

    private async Task OpenPostAsync(TriagePost post)
    {
        // The card's copy is cut for the feed; the drawer reads the longer one.
        await ShowPostAsync(await Triage.PostAsync(post.Id) ?? post, open: true);
    }

    /// <summary>A post chosen on the map: selected and opened as if chosen in the feed.</summary>
    private async Task OpenPostByIdAsync(long postId)
    {
        if (await Triage.PostAsync(postId) is { } post)
            await OpenPostAsync(post);
    }

    private async Task FlaggedAsync(TriagePost post)
    {
        var user = (await AuthenticationState).User;
        _draft = RumourDraft.FromPost(post.Id, post.Text, user.ActorName());
        SetDrawer(WarRoomDrawer.Rumour);
    }

    private async Task FlagFromDrawerAsync(TriagePost post)
    {
        if (_feed is not null)
            await _feed.FlagAsync(post);
    }

    private async Task ReviewFromDrawerAsync(TriagePost post)
    {
        if (_feed is not null)
            await _feed.ReviewAsync(post);
        if (await Triage.PostAsync(post.Id) is { } fresh && _selected?.Id == fresh.Id)
            _selected = fresh;
    }

    private async Task OpenStoryAsync(long storyId)
    {
        _story = await Triage.StoryAsync(storyId);
        if (_story is null)
        {
            Snackbar.Add($"Story {storyId} is no longer there.", Severity.Warning);
            return;
        }
        _storyMembers = await Triage.StoryMembersAsync(storyId, 50);
        _storyVolume = await Temperature.StoryVolumesAsync(IncidentId, storyId);
        View.StoryId = storyId;
        SetDrawer(WarRoomDrawer.Story);
    }

    private async Task DraftFromStoryAsync()
    {
        if (_story is null)
            return;
        var user = (await AuthenticationState).User;
        _draft = RumourDraft.FromStory(_story.Id, _story.SampleText, user.ActorName());
        SetDrawer(WarRoomDrawer.Rumour);
    }

    private void RumourDoneAsync(string message)
    {
        Snackbar.Add(message, Severity.Success);
        _draft = null;
        SetDrawer(null);
    }

    private void DrawerOpenChanged(bool open)
    {
        if (!open)
            CloseAll();
    }

    private void CloseAll()
    {
        _showHelp = false;
        _draft = null;
        SetDrawer(null);
    }

    private void SetDrawer(WarRoomDrawer? drawer)
    {
        _drawer = drawer;
        View.Drawer = drawer;
    }
}
