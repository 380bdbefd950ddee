using CrisisDesk.Core.Live;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// A war room panel that reads its own data and reads it again as posts arrive: one disposable subscription to the
/// singleton live feed, throttled to once a second, and (for panels fed from memory) a look every second, so a burst's
/// last posts show without waiting for the next one. Each render goes through InvokeAsync: deliveries come from the
/// feed's thread, not the circuit's.
/// </summary>
public abstract class LivePanel : ComponentBase, IAsyncDisposable
{
    /// <summary>How often at most a panel reads again.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private IDisposable? _subscription;
    private CancellationTokenSource? _ticks;
    private int? _loadedFor;

    [Parameter, EditorRequired] public int IncidentId { get; set; }

    [Inject] private LiveFeed Feed { get; set; } = default!;
    [Inject] private ILogger<LivePanel> Logger { get; set; } = default!;

    /// <summary>False until the first read has finished (the panel shows a skeleton).</summary>
    protected bool Loaded { get; private set; }

    /// <summary>Also read every second, posts or not (cheap reads of what the server holds in memory).</summary>
    protected virtual bool ReadEverySecond => false;

    protected abstract Task ReadAsync();

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor == IncidentId)
            return;
        _loadedFor = IncidentId;
        await StopAsync();
        if (RendererInfo.IsInteractive)
        {
            _subscription = Feed.Subscribe(IncidentId, _ => InvokeAsync(ReadAgainAsync), Refresh);
            if (ReadEverySecond)
                _ticks = Tick();
        }
        await ReadAsync();
        Loaded = true;
    }

    private async Task ReadAgainAsync()
    {
        try
        {
            await ReadAsync();
            StateHasChanged();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogWarning(e, "A war room panel ({Panel}) of incident {IncidentId} could not read; it tries again with the next posts", GetType().Name, IncidentId);
        }
    }

    private CancellationTokenSource Tick()
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(Refresh);
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                await InvokeAsync(ReadAgainAsync).ConfigureAwait(false);
        }, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        return stop;
    }

    private async Task StopAsync()
    {
        _subscription?.Dispose();
        _subscription = null;
        if (_ticks is not null)
        {
            await _ticks.CancelAsync();
            _ticks.Dispose();
            _ticks = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }
}
