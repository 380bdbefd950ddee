using System.Collections.Concurrent;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Leases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>A configured source as stored in <c>sources</c>.</summary>
public sealed record SourceDefinition(int Id, int IncidentId, string Kind, string Name, string Config, string? Cursor, long PostsStored, long Quarantined, DateTime? LastItemAt,
    long EditsStored = 0, long DeletionsApplied = 0, long DeletionsUnmatched = 0);

/// <summary>A source that must not run was asked to start: it was removed, is disabled (stopped), or does not exist.</summary>
public sealed class SourceNotStartableException(string message) : InvalidOperationException(message);

/// <summary>Builds the connector for one kind of source (<c>replay</c>, and later <c>x</c>, <c>mastodon</c>, …) from its stored JSON config.</summary>
public interface ISourceFactory
{
    string Kind { get; }

    IIngestSource Create(SourceDefinition definition, ISourceStatusReporter status);
}

/// <summary>What this node's ingest host does.</summary>
/// <param name="RunsSources">False on a web-only node: sources run on the ingest nodes, and a start asked for here only
/// changes the database (an ingest node picks the source up within a lease check).</param>
/// <param name="NodeName">This node's name in <c>source_leases</c>; unique per running node.</param>
/// <param name="LeaseTtl">How long a lease lasts unrenewed: how soon another node takes a dead node's sources.</param>
public sealed record IngestNodeSettings(bool RunsSources, string NodeName, TimeSpan LeaseTtl)
{
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(5);

    public IngestNodeSettings(bool runsSources = true)
        : this(runsSources, DefaultNodeName(), DefaultLeaseTtl)
    {
    }

    /// <summary>Host name and process id, and a little randomness: a restarted process is another node.</summary>
    public static string DefaultNodeName() => $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>Renewals come five times per lease, so that a slow round or two does not lose it.</summary>
    public TimeSpan CheckInterval => LeaseTtl / 5;
}

/// <summary>
/// Runs the enabled sources of open incidents through the pipeline, and starts or stops single sources on command.
/// Several ingest nodes share the sources through leases (<see cref="SourceLeases"/>): every check interval this node
/// renews the leases it holds (stopping any source whose lease another node took), stops the sources that may no longer
/// run (stopped or removed from any node, incident closed), and takes and starts the sources no node holds, including
/// those of a node that died. Each source resumes from the cursor its last committed batch saved, and each batch
/// commits only under its node's lease, so a source taken over mid-run stores every post exactly once.
/// </summary>
public sealed class IngestHost(
    IDbContextFactory<CrisisDeskDbContext> contexts,
    IngestPipeline pipeline,
    SourceMonitor monitor,
    IEnumerable<ISourceFactory> factories,
    IngestNodeSettings settings,
    SourceLeases leases,
    ILogger<IngestHost> logger) : BackgroundService
{
    private readonly Dictionary<string, ISourceFactory> _factories = factories.ToDictionary(f => f.Kind, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, (CancellationTokenSource Stop, Task Run)> _running = new();
    private CancellationToken _hostStopping;

    private readonly ConcurrentDictionary<int, byte> _owned = new();
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>The sources whose lease this node holds (running, completed or failed here).</summary>
    public IReadOnlyCollection<int> OwnedSources => _owned.Keys.ToList();

    /// <summary>When the last lease round finished (null before the first): readiness says the ingest loop is alive.</summary>
    public DateTimeOffset? LastLeaseRound { get; private set; }

    /// <summary>The lease settings this node runs with.</summary>
    public IngestNodeSettings Settings => settings;

    /// <summary>This node's name in <c>source_leases</c>.</summary>
    public string NodeName => settings.NodeName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _hostStopping = stoppingToken;
        using var timer = new PeriodicTimer(settings.CheckInterval);
        do
        {
            try
            {
                await CheckLeasesAsync(stoppingToken);
                LastLeaseRound = DateTimeOffset.UtcNow;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // The database is away: sources cannot commit either. The next round tries again; a lease that expires
                // meanwhile is renewed if no other node took it, and its source stopped if one did.
                logger.LogWarning(e, "Could not check the source leases; trying again in {Interval}", settings.CheckInterval);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false; // shutting down: StopAsync below stops the sources and gives their leases back
        }
    }

    /// <summary>One round: renew, stop what was lost or may no longer run, take what is free.</summary>
    internal async Task CheckLeasesAsync(CancellationToken cancellationToken)
    {
        var owned = _owned.Keys.ToList();
        var held = await leases.RenewAsync(owned, settings.NodeName, settings.LeaseTtl, cancellationToken);
        foreach (var lost in owned.Where(id => !held.Contains(id)))
        {
            logger.LogWarning("Source {SourceId}'s lease was taken by another node: stopping it here.", lost);
            await _turn.WaitAsync(cancellationToken);
            try
            {
                _owned.TryRemove(lost, out _);
                await StopRunAsync(lost);
                monitor.Forget(lost);
            }
            finally
            {
                _turn.Release();
            }
        }
        foreach (var stopped in await leases.NotRunnableAsync(_owned.Keys.ToList(), cancellationToken))
        {
            // Stopped or removed on another node (a web node only changes the database), or its incident closed.
            await StopSourceAsync(stopped);
        }
        foreach (var id in await leases.UnownedAsync(cancellationToken))
        {
            try
            {
                await StartSourceAsync(id, cancellationToken);
            }
            catch (SourceNotStartableException e)
            {
                logger.LogInformation("Source {SourceId} not started: {Reason}", id, e.Message);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, run) in _running)
            await run.Stop.CancelAsync();
        await Task.WhenAll(_running.Values.Select(r => r.Run)).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        try
        {
            // Given back so that another node takes them at once rather than after they expire.
            await leases.ReleaseAsync(_owned.Keys.ToList(), settings.NodeName, cancellationToken);
        }
        // ObjectDisposedException: the data source went first (a host torn down as a whole, as test hosts are).
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogWarning(e, "Could not give the source leases back; they expire in {Ttl}", settings.LeaseTtl);
        }
        await base.StopAsync(cancellationToken);
    }

    /// <summary>Whether this node is running the source now.</summary>
    public bool IsRunning(int sourceId) => _running.TryGetValue(sourceId, out var run) && !run.Run.IsCompleted;

    /// <summary>
    /// Starts the source from its saved cursor; does nothing if it already runs. Only an enabled source that was not
    /// removed may start (the Sources page's Start enables it first).
    /// </summary>
    /// <exception cref="SourceNotStartableException">The source does not exist, was removed, or is disabled.</exception>
    public async Task StartSourceAsync(int sourceId, CancellationToken cancellationToken = default)
    {
        if (!settings.RunsSources)
            return;
        // One start or stop at a time: a command and the lease round may ask for the same source together.
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await StartCoreAsync(sourceId, cancellationToken);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task StartCoreAsync(int sourceId, CancellationToken cancellationToken)
    {
        if (IsRunning(sourceId))
            return;
        SourceDefinition definition;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var found = await db.Sources.AsNoTracking().Where(s => s.Id == sourceId)
                .Select(s => new { s.Enabled, s.RemovedAt }).SingleOrDefaultAsync(cancellationToken)
                ?? throw new SourceNotStartableException($"Source {sourceId} does not exist.");
            if (found.RemovedAt is not null)
                throw new SourceNotStartableException($"Source {sourceId} was removed: a removed source never runs again.");
            if (!found.Enabled)
                throw new SourceNotStartableException($"Source {sourceId} is disabled: enable it (Start on the incident's Sources page) to run it.");
            // The lease, then the cursor: a node taking over reads the cursor after the last batch its previous owner
            // committed (that batch held the lease row until its commit).
            if (!_owned.ContainsKey(sourceId))
            {
                if (!await leases.TryAcquireAsync(sourceId, settings.NodeName, settings.LeaseTtl, cancellationToken))
                    return; // another node runs it
                _owned[sourceId] = 0;
            }
            definition = await db.Sources.AsNoTracking().Where(s => s.Id == sourceId)
                .Select(s => new SourceDefinition(s.Id, s.IncidentId, s.Kind, s.Name, s.Config, s.Cursor, s.PostsStored, s.Quarantined, s.LastItemAt,
                    s.EditsStored, s.DeletionsApplied, s.DeletionsUnmatched))
                .SingleAsync(cancellationToken);
        }
        monitor.Register(new SourceStatus(definition.Id, definition.IncidentId, definition.Kind, definition.Name, SourceState.Starting, null, null,
            definition.PostsStored, definition.Quarantined, definition.LastItemAt is { } last ? DbTime.Utc(last) : null, DateTimeOffset.UtcNow)
        {
            EditsStored = definition.EditsStored,
            DeletionsApplied = definition.DeletionsApplied,
            DeletionsUnmatched = definition.DeletionsUnmatched,
        });
        if (!_factories.TryGetValue(definition.Kind, out var factory))
        {
            monitor.Update(sourceId, s => s with { State = SourceState.Failed, Detail = $"this node cannot run sources of kind \"{definition.Kind}\"" });
            return;
        }
        IIngestSource source;
        try
        {
            source = factory.Create(definition, monitor.ReporterFor(sourceId));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
        {
            monitor.Update(sourceId, s => s with { State = SourceState.Failed, Detail = $"its configuration is not usable: {e.Message}" });
            return;
        }
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_hostStopping);
        var run = Task.Run(() => pipeline.RunAsync(new SourceRun(definition.Id, definition.IncidentId, source, definition.Cursor, settings.NodeName), stop.Token), CancellationToken.None);
        _running[sourceId] = (stop, run);
        logger.LogInformation("Source {SourceId} ({Kind} \"{Name}\") started from cursor {Cursor}.", definition.Id, definition.Kind, definition.Name, definition.Cursor ?? "(start)");
    }

    /// <summary>Stops the source and gives its lease back; its last committed cursor stays saved for the next start.</summary>
    public async Task StopSourceAsync(int sourceId)
    {
        await _turn.WaitAsync();
        try
        {
            await StopRunAsync(sourceId);
            if (_owned.TryRemove(sourceId, out _))
                await leases.ReleaseAsync([sourceId], settings.NodeName);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task StopRunAsync(int sourceId)
    {
        if (_running.TryRemove(sourceId, out var run))
        {
            await run.Stop.CancelAsync();
            await run.Run.ContinueWith(_ => { }, TaskScheduler.Default);
            run.Stop.Dispose();
        }
    }
}
