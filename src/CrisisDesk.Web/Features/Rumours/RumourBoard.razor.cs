using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// The incident's rumours by status, and the open rumour's detail. Every change anyone makes arrives on the activity
/// feed and is shown at once; presence says who else is looking at the open rumour.
/// </summary>
public sealed partial class RumourBoard : IDisposable
{
    private IReadOnlyList<RumourCard>? _cards;
    private IReadOnlyDictionary<int, RumourRebuttal> _rebuttals = new Dictionary<int, RumourRebuttal>();
    private string? _resolveNote;
    private RumourState? _rumour;
    private IReadOnlyList<RumourNote> _notes = [];
    private IReadOnlyList<TriagePost> _linkedPosts = [];

    /// <summary>The linked post whose reply in thread is open below it (an approved rebuttal's text can be reused there).</summary>
    private long? _replyTo;
    private IReadOnlyList<StoryRow> _linkedStories = [];
    private IReadOnlyList<SpreadMinute> _spread = [];
    private IReadOnlyList<RumourSuggestion> _suggestions = [];
    private IReadOnlyDictionary<int, IReadOnlyList<string>> _viewers = new Dictionary<int, IReadOnlyList<string>>();
    private IDisposable? _subscription;
    private IDisposable? _presence;
    private int? _presenceFor;
    private string? _note;
    private string? _message;
    private RumourConflictException? _conflict;
    private string? _pendingChange;

    [Parameter] public int IncidentId { get; set; }
    [Parameter] public int? RumourId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject] private RumourQueries Queries { get; set; } = default!;
    [Inject] private RumourCommands Commands { get; set; } = default!;
    [Inject] private RumourPresence Presence { get; set; } = default!;
    [Inject] private IncidentActivityFeed Activity { get; set; } = default!;

    private sealed record Column(RumourStatus Status, List<RumourCard> Cards);

    private IEnumerable<Column> Columns => Enum.GetValues<RumourStatus>()
        .Select(status => new Column(status, (_cards ?? []).Where(c => c.Rumour.StatusValue == status).ToList()));

    // At most a dozen labels under the spread chart, so that they stay readable.
    private string[] SpreadLabels => _spread.Select((m, i) => i % Math.Max(1, (_spread.Count + 11) / 12) == 0 ? m.Label : "").ToArray();

    private List<ChartSeries<double>> SpreadSeries => [new() { Name = "Linked posts", Data = _spread.Select(m => (double)m.Count).ToArray() }];

    private string DraftHref(RumourState rumour) => $"/incidents/{IncidentId}/rebuttals?rumour={rumour.Id}";

    private static string StatusWords(string? stored) =>
        RumourLifecycle.TryParse(stored, out var status) ? RumourLabels.Status(status) : stored ?? "";

    internal static Color SeverityColor(string severity) => severity switch
    {
        nameof(RumourSeverity.Critical) => Color.Error,
        nameof(RumourSeverity.High) => Color.Warning,
        nameof(RumourSeverity.Medium) => Color.Info,
        _ => Color.Default,
    };

    internal static Color RebuttalColor(string state) => state switch
    {
        "published" => Color.Success,
        "approved" => Color.Info,
        "submitted" => Color.Warning,
        "rejected" => Color.Error,
        _ => Color.Default,
    };

    protected override async Task OnParametersSetAsync()
    {
        if (RendererInfo.IsInteractive)
        {
            _subscription ??= Activity.Subscribe(IncidentId, OnActivityAsync, TimeSpan.FromMilliseconds(200));
            if (_presenceFor != RumourId)
            {
                _presence?.Dispose();
                _presence = null;
                _presenceFor = RumourId;
                if (RumourId is { } id)
                    _presence = Presence.Enter(IncidentId, id, (await AuthenticationState).User.ActorName());
            }
        }
        if (_rumour?.Id != RumourId)
        {
            _conflict = null;
            _note = null;
            _resolveNote = null;
        }
        await ReadAsync();
    }

    private async Task ReadAsync()
    {
        _cards = await Queries.BoardAsync(IncidentId);
        _rebuttals = await Queries.RebuttalsAsync(IncidentId);
        _viewers = Presence.Viewers(IncidentId);
        if (RumourId is { } id && await Queries.GetAsync(id) is { } rumour && rumour.IncidentId == IncidentId)
        {
            _rumour = rumour;
            _notes = await Queries.NotesAsync(id);
            _linkedPosts = await Queries.LinkedPostsAsync(id, 100);
            _linkedStories = await Queries.LinkedStoriesAsync(id);
            _spread = await Queries.SpreadAsync(id);
            _suggestions = await Queries.PendingSuggestionsAsync(id);
        }
        else
        {
            _rumour = null;
        }
    }

    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) => InvokeAsync(async () =>
    {
        // Someone opening or leaving a rumour changes who is looking, nothing in the database: no need to read it all again.
        if (batch.All(a => a.Action == RumourPresence.Action))
            _viewers = Presence.Viewers(IncidentId);
        else
            await ReadAsync();
        StateHasChanged();
    });

    private async Task ChangeStatusAsync(RumourStatus to)
    {
        if (_rumour is null)
            return;
        _pendingChange = $"move to {RumourLifecycle.Label(to)}";
        try
        {
            _rumour = await Commands.ChangeStatusAsync(await UserAsync(), _rumour.Id, _rumour.Version, to, _note);
            _note = null;
            _conflict = null;
            _message = null;
        }
        catch (RumourConflictException e)
        {
            // Show the current state; the person's note stays in the box.
            _conflict = e;
            _rumour = e.Current;
        }
        catch (Exception e) when (e is CommandDeniedException or RumourInputException)
        {
            _message = e.Message;
        }
        await ReadAsync();
    }

    private async Task ResolveAsync()
    {
        var note = _note;
        _note = _resolveNote;
        await ChangeStatusAsync(RumourStatus.Resolved);
        if (_conflict is null && _message is null)
            _resolveNote = null;
        else
            _note = note;
    }

    private async Task DecideAsync(long suggestionId, bool confirm)
    {
        try
        {
            var user = await UserAsync();
            if (confirm)
                await Commands.ConfirmSuggestionAsync(user, suggestionId);
            else
                await Commands.RejectSuggestionAsync(user, suggestionId);
        }
        catch (Exception e) when (e is CommandDeniedException or RumourInputException)
        {
            _message = e.Message;
        }
        await ReadAsync();
    }

    private async Task<ClaimsPrincipal> UserAsync() => (await AuthenticationState).User;

    public void Dispose()
    {
        _subscription?.Dispose();
        _presence?.Dispose();
    }
}
