using System.Security.Claims;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>The Admin's page for outside subscribers' hub tokens: create one (shown once), see them all, revoke.</summary>
public partial class FeedSubscribersPage
{
    private IReadOnlyList<FeedSubscriber>? _subscribers;
    private IReadOnlyList<IncidentSummary> _allIncidents = [];
    private IReadOnlyCollection<int> _incidents = [];
    private string _name = "";
    private CreatedFeedSubscriber? _created;
    private string? _error;
    private bool _busy;

    [Inject] private FeedSubscribers Subscribers { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    protected override Task OnInitializedAsync() => RunAsync(async user =>
    {
        _allIncidents = await Incidents.ListAsync();
        _subscribers = await Subscribers.ListAsync(user);
    });

    private string IncidentName(int id) => _allIncidents.FirstOrDefault(i => i.Id == id)?.Name ?? $"Incident {id}";

    private Task CreateAsync() => RunAsync(async user =>
    {
        _created = await Subscribers.CreateAsync(user, _name, _incidents);
        _name = "";
        _incidents = [];
        _subscribers = await Subscribers.ListAsync(user);
    });

    private async Task RevokeAsync(FeedSubscriber target)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Revoke this token?",
            $"{target.Name} loses the feed at once, and the token never works again.", yesText: "Revoke", cancelText: "Cancel");
        if (confirmed != true)
            return;
        await RunAsync(async user =>
        {
            await Subscribers.RevokeAsync(user, target.Id);
            Snackbar.Add($"{target.Name}'s token is revoked.", Severity.Success);
            if (_created?.Subscriber.Id == target.Id)
                _created = null;
            _subscribers = await Subscribers.ListAsync(user);
        });
    }

    /// <summary>Runs a command; a refusal is shown above the form, never thrown at the circuit.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _error = null;
        _busy = true;
        try
        {
            await command((await Auth).User);
        }
        catch (CommandException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}
