using System.Security.Claims;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>
/// An incident's sources: their live state and counters for Operators; adding, testing, changing, starting, stopping
/// and removing for Admins. Every button goes through <see cref="SourceCommands"/>, which checks the role again.
/// </summary>
public sealed partial class Sources : IAsyncDisposable
{
    /// <summary>States change without any command (reconnecting, rate limited, counters): look every second.</summary>
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>Another admin's changes are read from the database every few refreshes.</summary>
    private const int ReloadEveryTicks = 5;

    private IncidentSummary? _incident;
    private bool _notFound;
    private IReadOnlyList<SourceRecord> _records = [];
    private IReadOnlyList<SourceView> _views = [];
    private SourceForm _form = new();
    private SourceRecord? _editing;
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();
    private SourceTestResult? _test;
    private string? _error;
    private string? _notice;
    private bool _busy;
    private int? _confirmRemove;
    private CancellationTokenSource? _refreshLoop;

    [Parameter] public int IncidentId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    [Inject] private SourceCommands Commands { get; set; } = default!;
    [Inject] private SourceTester Tester { get; set; } = default!;
    [Inject] private IncidentCommands Incidents { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _incident = await Incidents.GetAsync(IncidentId);
        _notFound = _incident is null;
        if (_incident is null)
            return;
        await RunAsync(ReloadAsync);
        if (RendererInfo.IsInteractive && _error is null)
            _refreshLoop ??= StartRefresh();
    }

    private async Task ReloadAsync(ClaimsPrincipal user)
    {
        _records = await Commands.ListAsync(user, IncidentId);
        _views = _records.Select(Commands.ViewOf).ToList();
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

    private static string KindLabel(string kind) => kind switch
    {
        "rss" => "News RSS feed",
        "atom" => "News Atom feed",
        "cap-feed" => "Another agency's CAP alert feed",
        "x" => "X filtered stream",
        "mastodon" => "Mastodon streaming",
        "bluesky" => "Bluesky Jetstream",
        SourceConfigValidator.Replay => "Replay of a file",
        _ => kind,
    };

    private RenderFragment Err(string field) => builder =>
    {
        if (_errors.TryGetValue(field, out var message))
        {
            builder.OpenElement(0, "span");
            builder.AddAttribute(1, "class", "field-error");
            builder.AddAttribute(2, "data-field", field);
            builder.AddContent(3, message);
            builder.CloseElement();
        }
    };

    private RenderFragment SecretField() => builder =>
    {
        builder.OpenElement(0, "label");
        builder.AddContent(1, "Credential name (the value is read from CrisisDesk:Secrets:<name>; never type the token here)");
        builder.OpenElement(2, "input");
        builder.AddAttribute(3, "id", "source-secret");
        builder.AddAttribute(4, "autocomplete", "off");
        builder.AddAttribute(5, "placeholder", _form.Kind == "x" ? "X:BearerToken" : "Mastodon:Token");
        builder.AddAttribute(6, "value", _form.TokenSecret);
        builder.AddAttribute(7, "oninput", EventCallback.Factory.CreateBinder(this, value => _form.TokenSecret = value ?? "", _form.TokenSecret));
        builder.CloseElement();
        if (!string.IsNullOrWhiteSpace(_form.TokenSecret) && !_errors.ContainsKey("tokenSecret"))
        {
            var configured = Commands.SecretIsConfigured(_form.TokenSecret.Trim());
            builder.OpenElement(8, "span");
            builder.AddAttribute(9, "class", configured ? "credential configured" : "credential missing");
            builder.AddContent(10, configured ? "configured" : "missing");
            builder.CloseElement();
        }
        builder.AddContent(11, Err("tokenSecret"));
        builder.CloseElement();
    };

    private void ChangeKind(ChangeEventArgs e)
    {
        _form = new SourceForm { Kind = e.Value?.ToString() ?? "rss", Name = _form.Name };
        _errors = new Dictionary<string, string>();
        _test = null;
    }

    private void Edit(SourceView source)
    {
        _editing = _records.FirstOrDefault(r => r.Id == source.Id);
        if (_editing is null)
            return;
        _form = SourceForm.From(source.Kind, source.Name, source.Config);
        _errors = new Dictionary<string, string>();
        _test = null;
        _notice = null;
    }

    private void CancelEdit()
    {
        _editing = null;
        _form = new SourceForm();
        _errors = new Dictionary<string, string>();
        _test = null;
    }

    private Task TestAsync() => RunAsync(async user =>
    {
        _test = null;
        _test = await Tester.TestAsync(user, IncidentId, _form.Kind, _form.Name, _form.ToConfig());
        _errors = _test.Errors;
    });

    private Task SaveAsync() => RunAsync(async user =>
    {
        if (_editing is null)
        {
            await Commands.AddAsync(user, IncidentId, _form.Kind, _form.Name, _form.ToConfig());
            _notice = $"Added “{_form.Name.Trim()}”. It is stopped: start it when ready.";
        }
        else
        {
            var changed = await Commands.ChangeAsync(user, IncidentId, _editing.Id, _form.Name, _form.ToConfig());
            _notice = changed ? $"Saved “{_form.Name.Trim()}”." : "Nothing changed.";
        }
        _editing = null;
        _form = new SourceForm();
        _test = null;
        await ReloadAsync(user);
    });

    private Task StartAsync(SourceView source) => RunAsync(async user =>
    {
        await Commands.StartAsync(user, IncidentId, source.Id);
        _notice = $"Started “{source.Name}”.";
        await ReloadAsync(user);
    });

    private Task StopAsync(SourceView source) => RunAsync(async user =>
    {
        await Commands.StopAsync(user, IncidentId, source.Id);
        _notice = $"Stopped “{source.Name}”.";
        await ReloadAsync(user);
    });

    private Task RemoveAsync(SourceView source) => RunAsync(async user =>
    {
        _confirmRemove = null;
        await Commands.RemoveAsync(user, IncidentId, source.Id);
        _notice = $"Removed “{source.Name}”; the posts it brought in stay.";
        if (_editing?.Id == source.Id)
            CancelEdit();
        await ReloadAsync(user);
    });

    /// <summary>Runs a command; a refusal or a settings problem is shown, never thrown at the circuit.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _error = null;
        _busy = true;
        try
        {
            await command((await Auth).User);
            _errors = _test?.Errors ?? new Dictionary<string, string>();
        }
        catch (SourceInputException e)
        {
            _errors = e.Errors;
            _error = "The settings are not valid: see the fields marked.";
            _notice = null;
        }
        catch (Exception e) when (e is CommandDeniedException or SourceNotFoundException or SourceConflictException or CrisisDesk.Ingest.Pipeline.SourceNotStartableException)
        {
            _error = e.Message;
            _notice = null;
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
