using CrisisDesk.Core.Live;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>
/// The enquiries inbox: who waits for an answer and for how long, who has each one, and the reply in thread. Live for
/// every operator: an enquiry opened, taken or answered anywhere shows here within the activity feed's throttle; the
/// clocks tick every few seconds.
/// </summary>
public sealed partial class EnquiriesPage : IDisposable
{
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ClockTick = TimeSpan.FromSeconds(5);

    private IncidentSummary? _incident;
    private bool _notFound;
    private bool _loaded;
    private bool _busy;
    private bool _canOperate;
    private bool _includeClosed;
    private bool _mineOnly;
    private int _slaMinutes = 30;
    private string _me = "";
    private string? _error;
    private int? _expanded;
    private IReadOnlyList<EnquiryView> _enquiries = [];
    private IReadOnlyList<string> _operators = [];
    private EnquiryMetrics? _metrics;

    /// <summary>Replies (to enquiries or any post) that wait for an approver, so approvers find them in one place.</summary>
    private IReadOnlyList<Replies.ReplyView> _awaiting = [];
    private long? _decidePost;
    private IDisposable? _subscription;
    private Timer? _clock;

    [Parameter] public int IncidentId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    [Inject] private EnquiryQueries Queries { get; set; } = default!;
    [Inject] private EnquiryCommands Commands { get; set; } = default!;
    [Inject] private Replies.ReplyCommands ReplyCommands { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;
    [Inject] private IncidentActivityFeed Activity { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    private DateTimeOffset Now => Time.GetUtcNow();

    private IReadOnlyList<EnquiryView> Shown => _mineOnly ? _enquiries.Where(e => e.AssignedTo is { } holder && Same(holder)).ToList() : _enquiries;

    private bool Same(string name) => string.Equals(name, _me, StringComparison.OrdinalIgnoreCase);

    protected override async Task OnParametersSetAsync()
    {
        _incident = await Incidents.GetAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        var user = (await Auth).User;
        _me = user.ActorName();
        _canOperate = (await Authorization.AuthorizeAsync(user, Policies.Operator)).Succeeded;
        _operators = _canOperate ? await Queries.OperatorsAsync() : [];
        await ReloadAsync();
        _loaded = true;
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender)
            return;
        _subscription = Activity.Subscribe(IncidentId, OnActivityAsync, Throttle);
        // The clocks move on their own: re-render (no query) every few seconds.
        _clock = new Timer(_ => _ = InvokeAsync(StateHasChanged), null, ClockTick, ClockTick);
    }

    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) =>
        batch.Any(a => a.Action.StartsWith("enquiry.", StringComparison.Ordinal) || a.Action.StartsWith("reply.", StringComparison.Ordinal))
            ? InvokeAsync(async () => { await ReloadAsync(); StateHasChanged(); })
            : Task.CompletedTask;

    private async Task ReloadAsync()
    {
        _enquiries = await Queries.ListAsync(IncidentId, _includeClosed);
        _slaMinutes = await Queries.SlaMinutesAsync();
        _metrics = await Queries.MetricsAsync(IncidentId, Now.UtcDateTime);
        _awaiting = await ReplyCommands.AwaitingApprovalAsync(IncidentId);
    }

    private async Task IncludeClosedAsync(bool include)
    {
        _includeClosed = include;
        await ReloadAsync();
    }

    private void Toggle(int enquiryId) => _expanded = _expanded == enquiryId ? null : enquiryId;

    private async Task AssignAsync(EnquiryView enquiry, string? assignee, bool takeOver)
    {
        _busy = true;
        _error = null;
        try
        {
            await Commands.AssignAsync((await Auth).User, enquiry.Id, assignee, takeOver);
        }
        catch (CommandException e)
        {
            // Someone took it a moment ago: say who, and show it as it now is.
            _error = e.Message;
        }
        finally
        {
            await ReloadAsync();
            _busy = false;
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _clock?.Dispose();
    }
}
