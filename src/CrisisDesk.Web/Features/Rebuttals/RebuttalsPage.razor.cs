using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Alerts;
using CrisisDesk.Web.Features.Publishing;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Rebuttals;

/// <summary>
/// The rebuttals of one incident: the composer (one text per channel, live lengths, templates), the decision at the top
/// of a submitted rebuttal (what changed, Approve / Reject with a reason), publishing once approved, and the version
/// history. Every command is the server's (authorised and logged there); this page explains what they refuse.
/// </summary>
public sealed partial class RebuttalsPage
{
    [Parameter] public int IncidentId { get; set; }
    [Parameter] public int? RebuttalId { get; set; }

    /// <summary>A rumour to answer: the "Draft rebuttal" link of a rumour opens the composer with it.</summary>
    [SupplyParameterFromQuery(Name = "rumour")] public int? RumourFromLink { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    private IReadOnlyList<RebuttalRecord>? _list;
    private IReadOnlyList<RebuttalTemplate> _templates = [];
    private IReadOnlyList<RebuttalVersion> _versions = [];
    private IReadOnlyList<RumourState> _rumours = [];
    private IReadOnlyList<TriagePost> _rumourPosts = [];
    private IReadOnlyList<string> _publishable = [];
    private readonly HashSet<string> _chosen = new(StringComparer.Ordinal);
    private IReadOnlyList<RecipientLists.ListChoice> _lists = [];
    private readonly HashSet<int> _chosenLists = [];
    private RebuttalRecord? _selected;
    private RumourState? _rumour;
    private readonly Dictionary<TextChannel, string> _variants = Enum.GetValues<TextChannel>().ToDictionary(c => c, _ => "");
    private bool _editing;
    private bool _busy;
    private string? _title = "";
    private int? _rumourId;
    private int? _templateId;
    private string? _note;
    private string? _comment;
    private string? _templateName;
    private string? _error;
    private string? _titleError;
    private string? _commentError;
    private string _me = "";
    private IDisposable? _subscription;
    private int? _shownFor;

    private bool Editable => _selected is null || _selected.State is RebuttalRecord.Draft or RebuttalRecord.Rejected;

    private bool IWrote(RebuttalRecord rebuttal) => rebuttal.Editors.Contains(_me, StringComparer.OrdinalIgnoreCase);

    internal static Color StateColor(string state) => state switch
    {
        RebuttalRecord.Submitted => Color.Warning,
        RebuttalRecord.Approved => Color.Success,
        RebuttalRecord.Published => Color.Info,
        RebuttalRecord.Rejected => Color.Error,
        _ => Color.Default,
    };

    protected override async Task OnParametersSetAsync()
    {
        _me = (await Auth).User.ActorName();
        if (RendererInfo.IsInteractive)
            _subscription ??= Activity.Subscribe(IncidentId, OnActivityAsync, TimeSpan.FromMilliseconds(300));
        var moved = _shownFor != RebuttalId;
        _shownFor = RebuttalId;
        if (moved)
        {
            _error = null;
            _comment = null;
            _commentError = null;
            _chosen.Clear();
        }
        await ReloadAsync(resetTexts: moved);
        if (RebuttalId is null && RumourFromLink is { } rumourId && _rumourId != rumourId)
        {
            New();
            await RumourChosenAsync(rumourId);
        }
    }

    // Someone else's decision or new version shows here within the throttle, without a reload.
    private Task OnActivityAsync(IReadOnlyList<IncidentActivity> batch) =>
        batch.Any(a => a.Action.StartsWith("rebuttal.", StringComparison.Ordinal) || a.Action.StartsWith("delivery.", StringComparison.Ordinal))
            ? InvokeAsync(async () => { await ReloadAsync(resetTexts: false); StateHasChanged(); })
            : Task.CompletedTask;

    private async Task ReloadAsync(bool resetTexts)
    {
        _list = await Rebuttals.ListAsync(IncidentId);
        _templates = await Rebuttals.TemplatesAsync();
        _rumours = await Rumours.OpenRumoursAsync(IncidentId);
        var previousState = _selected?.State;
        _selected = RebuttalId is { } id ? await Rebuttals.GetAsync(id) : null;
        if (_selected is not null && _selected.IncidentId != IncidentId)
            _selected = null;
        _versions = _selected is null ? [] : await Rebuttals.VersionsAsync(_selected.Id);
        if (_selected is null)
            return;
        _editing = Editable;
        _title = _selected.Title;
        var latest = _versions.FirstOrDefault()?.Variants ?? new Dictionary<TextChannel, string>();
        // Keep what the person is typing unless the rebuttal itself moved on.
        if (resetTexts || previousState != _selected.State || !Editable)
        {
            foreach (var channel in Enum.GetValues<TextChannel>())
                _variants[channel] = latest.TryGetValue(channel, out var text) ? text : "";
        }
        _publishable = Rebuttals.PublishableChannels(latest);
        // SMS lists need the rebuttal's SMS text; email lists take its longest text.
        _lists = _selected.State == RebuttalRecord.Approved
            ? [.. (await Rebuttals.ListChoicesAsync()).Where(l => l.Kind != RecipientLists.RecipientListKinds.Sms || latest.ContainsKey(TextChannel.Sms))]
            : [];
        _chosenLists.IntersectWith(_lists.Select(l => l.Id));
        if (_chosen.Count == 0)
            _chosen.UnionWith(_publishable);
        _rumour = _selected.RumourId is { } rumourId ? await Rumours.GetAsync(rumourId) : null;
        _rumourPosts = _rumour is null || !Editable ? [] : await Rumours.LinkedPostsAsync(_rumour.Id, 5);
    }

    private void New()
    {
        _editing = true;
        _title = "";
        _rumourId = null;
        _rumour = null;
        _rumourPosts = [];
        _error = null;
        _titleError = null;
        foreach (var channel in Enum.GetValues<TextChannel>())
            _variants[channel] = "";
        if (RebuttalId is not null)
            Navigation.NavigateTo($"/incidents/{IncidentId}/rebuttals");
    }

    private async Task RumourChosenAsync(int? rumourId)
    {
        _rumourId = rumourId;
        _rumour = rumourId is { } id && await Rumours.GetAsync(id) is { } rumour && rumour.IncidentId == IncidentId ? rumour : null;
        _rumourPosts = _rumour is null ? [] : await Rumours.LinkedPostsAsync(_rumour.Id, 5);
        if (_rumour is not null)
            _title = _rumour.Claim.Length > 200 ? _rumour.Claim[..200] : _rumour.Claim;
    }

    private void ApplyTemplate(int? templateId)
    {
        _templateId = templateId;
        if (_templates.FirstOrDefault(t => t.Id == templateId) is { } template)
        {
            foreach (var (channel, text) in template.Variants)
                _variants[channel] = text;
        }
    }

    private void Choose(string channel, bool on)
    {
        if (on)
            _chosen.Add(channel);
        else
            _chosen.Remove(channel);
    }

    private Dictionary<TextChannel, string> Variants() => _variants.Where(v => v.Value.Trim().Length > 0).ToDictionary();

    private Task SaveAsync() => RunAsync(async user =>
    {
        _titleError = _selected is null && (_title ?? "").Trim().Length < 3 ? "Give the rebuttal a title of at least 3 characters (the claim it answers)." : null;
        if (_titleError is not null)
            return;
        if (_selected is null)
        {
            var id = await Rebuttals.DraftAsync(user, IncidentId, _rumourId, _title ?? "", Variants());
            Snackbar.Add("Draft saved as version 1.", Severity.Success);
            Navigation.NavigateTo($"/incidents/{IncidentId}/rebuttals/{id}");
        }
        else
        {
            var version = await Rebuttals.ReviseAsync(user, _selected.Id, Variants(), _note);
            Snackbar.Add($"Saved as version {version}.", Severity.Success);
            _note = null;
            await ReloadAsync(resetTexts: true);
        }
    });

    private Task SaveTemplateAsync() => RunAsync(async user =>
    {
        await Rebuttals.SaveTemplateAsync(user, _templateName ?? "", Variants());
        Snackbar.Add($"Template “{_templateName}” saved.", Severity.Success);
        _templates = await Rebuttals.TemplatesAsync();
    });

    private Task SubmitAsync() => RunAsync(async user =>
    {
        // What is on screen is what gets approved: unsaved changes become a version first.
        var latest = _versions.FirstOrDefault()?.Variants ?? new Dictionary<TextChannel, string>();
        var onScreen = Variants();
        if (onScreen.Count != latest.Count || onScreen.Any(v => !latest.TryGetValue(v.Key, out var text) || text != v.Value.Trim()))
            await Rebuttals.ReviseAsync(user, _selected!.Id, onScreen, _note);
        await Rebuttals.SubmitAsync(user, _selected!.Id);
        Snackbar.Add("Submitted: it is now in the Approvers' inbox. Someone who wrote none of it must approve it.", Severity.Success);
        await ReloadAsync(resetTexts: true);
    });

    private Task ApproveAsync() => RunAsync(async user =>
    {
        await Rebuttals.ApproveAsync(user, _selected!.Id, _comment);
        Snackbar.Add("Approved: it can now be published.", Severity.Success);
        await ReloadAsync(resetTexts: true);
    });

    private Task RejectAsync() => RunAsync(async user =>
    {
        _commentError = string.IsNullOrWhiteSpace(_comment) ? "Say why it is rejected: the author works from your reason." : null;
        if (_commentError is not null)
            return;
        await Rebuttals.RejectAsync(user, _selected!.Id, _comment!);
        Snackbar.Add("Rejected: the author sees your reason.", Severity.Info);
        await ReloadAsync(resetTexts: true);
    });

    private void ChooseList(int listId, bool on)
    {
        if (on)
            _chosenLists.Add(listId);
        else
            _chosenLists.Remove(listId);
    }

    private async Task PublishAsync()
    {
        var channels = _publishable.Where(_chosen.Contains).ToList();
        var lists = _lists.Where(l => _chosenLists.Contains(l.Id)).ToList();
        var where = channels.Select(ChannelNames.Label).Concat(lists.Select(l => $"{ChannelNames.Label(l.Channel)} {l.Name} ({l.Recipients} people)"));
        var confirmed = await Dialogs.ShowMessageBoxAsync("Publish this rebuttal?",
            $"It will be posted now to {string.Join(", ", where)}. A published post cannot be taken back from here.",
            yesText: "Publish", cancelText: "Cancel");
        if (confirmed != true)
            return;
        await RunAsync(async user =>
        {
            var queued = await Rebuttals.PublishAsync(user, _selected!.Id, channels, listIds: [.. lists.Select(l => l.Id)]);
            Snackbar.Add("Publishing to " + string.Join(", ", queued.Select(ChannelNames.Label)) + ": the delivery status follows each channel.", Severity.Success);
            await ReloadAsync(resetTexts: true);
        });
    }

    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _error = null;
        _busy = true;
        try
        {
            await command((await Auth).User);
        }
        catch (Exception e) when (e is RebuttalInputException or CommandDeniedException or TwoPersonRuleException)
        {
            // Said where the action is: next to the buttons, and as a snackbar for the decision and publish panels.
            _error = e.Message;
            Snackbar.Add(e.Message, Severity.Error);
            await ReloadAsync(resetTexts: false);
        }
        finally
        {
            _busy = false;
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
