using System.Collections.Concurrent;
using CrisisDesk.Core.Ingest;
using Dapper;
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
/// changes the database (the ingest nodes pick the source up).</param>
public sealed record IngestNodeSettings(bool RunsSources = true);

/// <summary>
/// Runs every enabled source of every open incident through the pipeline, and starts or stops single sources on
/// command. Each source resumes from the cursor its last committed batch saved.
/// </summary>
public sealed class IngestHost(
    NpgsqlDataSource dataSource,
    IngestPipeline pipeline,
    SourceMonitor monitor,
    IEnumerable<ISourceFactory> factories,
    IngestNodeSettings settings,
    ILogger<IngestHost> logger) : BackgroundService
{
    private readonly Dictionary<string, ISourceFactory> _factories = factories.ToDictionary(f => f.Kind, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, (CancellationTokenSource Stop, Task Run)> _running = new();
    private CancellationToken _hostStopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _hostStopping = stoppingToken;
        await using (var connection = await dataSource.OpenConnectionAsync(stoppingToken))
        {
            var ids = await connection.QueryAsync<int>("""
                SELECT s.id FROM sources s JOIN incidents i ON i.id = s.incident_id
                 WHERE s.enabled AND i.closed_at IS NULL ORDER BY s.id
                """);
            foreach (var id in ids)
            {
                try
                {
                    await StartSourceAsync(id, stoppingToken);
                }
                catch (SourceNotStartableException e)
                {
                    // Stopped or removed between the query and now: it stays stopped.
                    logger.LogInformation("Source {SourceId} not started: {Reason}", id, e.Message);
                }
            }
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: StopAsync below waits for the sources.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, run) in _running)
            await run.Stop.CancelAsync();
        await Task.WhenAll(_running.Values.Select(r => r.Run)).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
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
        if (!settings.RunsSources || IsRunning(sourceId))
            return;
        SourceDefinition definition;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            var state = await connection.QuerySingleOrDefaultAsync<(bool Enabled, DateTime? RemovedAt)?>(
                "SELECT enabled, removed_at FROM sources WHERE id = @sourceId", new { sourceId });
            if (state is not { } found)
                throw new SourceNotStartableException($"Source {sourceId} does not exist.");
            if (found.RemovedAt is not null)
                throw new SourceNotStartableException($"Source {sourceId} was removed: a removed source never runs again.");
            if (!found.Enabled)
                throw new SourceNotStartableException($"Source {sourceId} is disabled: enable it (Start on the incident's Sources page) to run it.");
            definition = await connection.QuerySingleAsync<SourceDefinition>("""
                SELECT id, incident_id AS IncidentId, kind, name, config::text AS Config, cursor, posts_stored AS PostsStored,
                       quarantined, last_item_at AS LastItemAt, edits_stored AS EditsStored, deletions_applied AS DeletionsApplied,
                       deletions_unmatched AS DeletionsUnmatched
                  FROM sources WHERE id = @sourceId
                """, new { sourceId });
        }
        monitor.Register(new SourceStatus(definition.Id, definition.IncidentId, definition.Kind, definition.Name, SourceState.Starting, null, null,
            definition.PostsStored, definition.Quarantined, definition.LastItemAt is { } last ? new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)) : null, DateTimeOffset.UtcNow)
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
        var run = Task.Run(() => pipeline.RunAsync(new SourceRun(definition.Id, definition.IncidentId, source, definition.Cursor), stop.Token), CancellationToken.None);
        _running[sourceId] = (stop, run);
        logger.LogInformation("Source {SourceId} ({Kind} \"{Name}\") started from cursor {Cursor}.", definition.Id, definition.Kind, definition.Name, definition.Cursor ?? "(start)");
    }

    /// <summary>Stops the source; its last committed cursor stays saved for the next start.</summary>
    public async Task StopSourceAsync(int sourceId)
    {
        if (_running.TryRemove(sourceId, out var run))
        {
            await run.Stop.CancelAsync();
            await run.Run.ContinueWith(_ => { }, TaskScheduler.Default);
            run.Stop.Dispose();
        }
    }
}
