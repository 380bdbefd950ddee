using System.Security.Claims;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>
/// An incident's sources: their live state and counters for Operators; adding, testing, changing, starting, stopping
/// and removing for Admins (the form is <see cref="SourceDialog"/>). Every button goes through
/// <see cref="SourceCommands"/>, which checks the role again.
/// </summary>
public sealed partial class Sources : IAsyncDisposable
{
    /// <summary>States change without any command (reconnecting, rate limited, counters): look every second.</summary>
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>Another admin's changes are read from the database every few refreshes.</summary>
    private const int ReloadEveryTicks = 5;

    private IncidentSummary? _incident;
    private bool _notFound;
    private bool _loaded;
    private bool _canManage;
    private IReadOnlyList<SourceRecord> _records = [];
    private IReadOnlyList<SourceView> _views = [];
    private IReadOnlyDictionary<int, SourceTable.EditCounts> _counts = new Dictionary<int, SourceTable.EditCounts>();
    private (string Name, SourceTestResult Result)? _rowTest;
    private string? _error;
    private bool _busy;
    private CancellationTokenSource? _refreshLoop;

    [Parameter] public int IncidentId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    [Inject] private SourceCommands Commands { get; set; } = default!;
    [Inject] private SourceTester Tester { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _incident = await Incidents.GetAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        // Only what the page offers; every command checks the role again on the server.
        _canManage = (await Authorization.AuthorizeAsync((await Auth).User, Policies.Admin)).Succeeded;
        await RunAsync(ReloadAsync);
        _loaded = true;
        if (RendererInfo.IsInteractive && _error is null)
            _refreshLoop ??= StartRefresh();
    }

    private async Task ReloadAsync(ClaimsPrincipal user)
    {
        _records = await Commands.ListAsync(user, IncidentId);
        _views = _records.Select(Commands.ViewOf).ToList();
        _counts = await Commands.EditCountsAsync(IncidentId);
    }

    private CancellationTokenSource StartRefresh()
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(RefreshInterval);
            var tick = 0;
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                var reload = ++tick % ReloadEveryTicks == 0;
                await InvokeAsync(async () =>
                {
                    if (reload && !_busy)
                    {
                        // A refusal here (the role was taken away) ends the refresh rather than logging a refusal every few seconds.
                        try
                        {
                            await ReloadAsync((await Auth).User);
                        }
                        catch (CommandDeniedException e)
                        {
                            _error = e.Message;
                            _records = [];
                            _views = [];
                            await stop.CancelAsync();
                        }
                    }
                    else
                    {
                        _views = _records.Select(Commands.ViewOf).ToList();
                    }
                    StateHasChanged();
                }).ConfigureAwait(false);
            }
        }, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        return stop;
    }

    private static readonly DialogOptions FormDialog = new() { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseButton = true };

    private async Task AddAsync() => await OpenFormAsync(null, new SourceForm());

    private async Task EditAsync(SourceView source) => await OpenFormAsync(source.Id, SourceForm.From(source.Kind, source.Name, source.Config));

    private async Task OpenFormAsync(int? sourceId, SourceForm form)
    {
        var parameters = new DialogParameters<SourceDialog>
        {
            { d => d.IncidentId, IncidentId },
            { d => d.SourceId, sourceId },
            { d => d.Form, form },
        };
        var dialog = await Dialogs.ShowAsync<SourceDialog>(sourceId is null ? "Add a source" : "Change a source", parameters, FormDialog);
        if (await dialog.Result is { Canceled: false, Data: string message })
        {
            // The list first, then the message: while it reloads the row's buttons are disabled, and a click on a row
            // the message invited would be lost.
            await RunAsync(ReloadAsync);
            Snackbar.Add(message, Severity.Success);
        }
    }

    private Task TestAsync(SourceView source) => RunAsync(async user =>
    {
        _rowTest = null;
        Snackbar.Add($"Testing “{source.Name}”…", Severity.Info);
        _rowTest = (source.Name, await Tester.TestAsync(user, IncidentId, source.Kind, source.Name, source.Config));
    });

    private Task StartAsync(SourceView source) => RunAsync(async user =>
    {
        await Commands.StartAsync(user, IncidentId, source.Id);
        Snackbar.Add($"Started “{source.Name}”.", Severity.Success);
        await ReloadAsync(user);
    });

    private Task StopAsync(SourceView source) => RunAsync(async user =>
    {
        await Commands.StopAsync(user, IncidentId, source.Id);
        Snackbar.Add($"Stopped “{source.Name}”.", Severity.Success);
        await ReloadAsync(user);
    });

    private async Task RemoveAsync(SourceView source)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Remove “{source.Name}”?",
            "It stops reading and leaves this list for good. The posts it brought in stay in the incident.",
            yesText: "Remove for good", cancelText: "Keep it");
        if (confirmed != true)
            return;
        await RunAsync(async user =>
        {
            await Commands.RemoveAsync(user, IncidentId, source.Id);
            Snackbar.Add($"Removed “{source.Name}”; the posts it brought in stay.", Severity.Success);
            await ReloadAsync(user);
        });
    }

    /// <summary>Runs a command; a refusal is shown above the list and in a snackbar, never thrown at the circuit.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _error = null;
        _busy = true;
        try
        {
            await command((await Auth).User);
        }
        catch (Exception e) when (e is CommandDeniedException or SourceNotFoundException or SourceConflictException or SourceInputException or CrisisDesk.Ingest.Pipeline.SourceNotStartableException)
        {
            _error = e.Message;
            if (RendererInfo.IsInteractive)
                Snackbar.Add(e.Message, Severity.Error);
        }
        finally
        {
            _busy = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_refreshLoop is not null)
        {
            await _refreshLoop.CancelAsync();
            _refreshLoop.Dispose();
        }
    }
}
