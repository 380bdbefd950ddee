using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Enquiries;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>
/// One post's enquiry and replies, kept live from the activity feed: when another operator takes the enquiry or
/// replies, this panel shows it within the feed's throttle. Every button goes through the commands, which check the
/// role and who holds the enquiry again on the server.
/// </summary>
public sealed partial class ReplyPanel : IDisposable
{
    /// <summary>How long the panel gathers activity before it reads again.</summary>
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(250);

    private bool _loaded;
    private bool _busy;
    private bool _canOperate;
    private bool _canApprove;
    private bool _hasAccount;
    private string? _error;
    private string? _text;
    private int? _rebuttalId;
    private string? _rejectReason;
    private string _me = "";
    private EnquiryView? _enquiry;
    private IReadOnlyList<ReplyView> _replies = [];
    private IReadOnlyList<ReusableRebuttal> _rebuttals = [];
    private IDisposable? _subscription;

    [Parameter, EditorRequired] public int IncidentId { get; set; }
    [Parameter, EditorRequired] public long PostId { get; set; }
    [Parameter, EditorRequired] public string Platform { get; set; } = "";

    /// <summary>Called after this panel changed the enquiry or sent a reply.</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    [Inject] private ReplyCommands Replies { get; set; } = default!;
    [Inject] private EnquiryQueries EnquiryReads { get; set; } = default!;
    [Inject] private EnquiryCommands Enquiries { get; set; } = default!;
    [Inject] private IncidentActivityFeed Activity { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private DateTimeOffset Now => Time.GetUtcNow();

    private TextChannel Channel => ReplyCommands.TextChannelOf(Platform);

    private bool Same(string name) => string.Equals(name, _me, StringComparison.OrdinalIgnoreCase);

    protected override async Task OnParametersSetAsync()
    {
        if (!ReplyPlatforms.IsKnown(Platform))
            return;
        var user = (await Auth).User;
        _me = user.ActorName();
        _canOperate = (await Authorization.AuthorizeAsync(user, Policies.Operator)).Succeeded;
        _canApprove = (await Authorization.AuthorizeAsync(user, Policies.Approver)).Succeeded;
        _hasAccount = await Replies.HasAccountAsync(IncidentId, Platform);
        _rebuttals = _canOperate ? await Replies.ReusableRebuttalsAsync(IncidentId) : [];
        await LoadAsync();
        _loaded = true;
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && ReplyPlatforms.IsKnown(Platform))
            _subscription = Activity.Subscribe(IncidentId, OnActivityAsync, Throttle);
    }

    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) =>
        batch.Any(a => a.PostIds?.Contains(PostId) == true && (a.Action.StartsWith("enquiry.", StringComparison.Ordinal) || a.Action.StartsWith("reply.", StringComparison.Ordinal)))
            ? InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); })
            : Task.CompletedTask;

    private async Task LoadAsync()
    {
        _enquiry = await EnquiryReads.ForPostAsync(PostId);
        _replies = await Replies.ForPostAsync(PostId);
    }

    private void ReuseRebuttal(int? rebuttalId)
    {
        _rebuttalId = rebuttalId;
        if (_rebuttals.FirstOrDefault(r => r.Id == rebuttalId) is { } rebuttal && rebuttal.Variants.TryGetValue(Channel, out var text))
            _text = text;
    }

    private Task SendAsync() => RunAsync(async user =>
    {
        var outcome = await Replies.ReplyAsync(user, PostId, _text ?? "", _rebuttalId);
        Snackbar.Add(outcome.State == ReplyView.Sent ? $"Reply on its way to {ReplyPlatforms.Label(Platform)}." : "Reply waiting for an approver.", Severity.Success);
        (_text, _rebuttalId) = (null, null);
    });

    private Task MarkAsync() => RunAsync(user => Enquiries.MarkAsync(user, PostId));

    private Task TakeAsync(EnquiryView enquiry, bool takeOver) => RunAsync(user => Enquiries.AssignAsync(user, enquiry.Id, _me, takeOver));

    private Task StatusAsync(EnquiryView enquiry, string status) => RunAsync(user => Enquiries.SetStatusAsync(user, enquiry.Id, status));

    private Task ApproveAsync(ReplyView reply) => RunAsync(user => Replies.ApproveAsync(user, reply.Id, null));

    private Task RejectAsync(ReplyView reply) => RunAsync(async user =>
    {
        await Replies.RejectAsync(user, reply.Id, _rejectReason ?? "");
        _rejectReason = null;
    });

    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _busy = true;
        _error = null;
        try
        {
            await command((await Auth).User);
            await OnChanged.InvokeAsync();
        }
        catch (CommandException e)
        {
            // A conflict (someone else holds the enquiry) shows who; the panel then reads the state as it is.
            _error = e.Message;
        }
        finally
        {
            await LoadAsync();
            _busy = false;
        }
    }

    private static Color StatusColour(string status) => status switch
    {
        "open" => Color.Warning,
        "answered" => Color.Success,
        _ => Color.Default,
    };

    private static string StatusLabel(string status) => EnquiryLabels.Status(status);

    public void Dispose() => _subscription?.Dispose();
}
