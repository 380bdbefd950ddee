using System.Collections.Concurrent;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Ingest.Pipeline;

/// <summary>What people can see of a running source: its state and its counters. No content, no credentials.</summary>
public sealed record SourceStatus(
    int SourceId,
    int IncidentId,
    string Kind,
    string Name,
    SourceState State,
    string? Detail,
    DateTimeOffset? Until,
    long PostsStored,
    long Quarantined,
    DateTimeOffset? LastItemAt,
    DateTimeOffset ChangedAt)
{
    /// <summary>Edits stored as new versions of posts.</summary>
    public long EditsStored { get; init; }

    /// <summary>Posts marked deleted by their authors.</summary>
    public long DeletionsApplied { get; init; }

    /// <summary>Deletions of posts the incident never stored: nothing stored for them, only counted.</summary>
    public long DeletionsUnmatched { get; init; }
}

/// <summary>The live state of every source this node runs, for the war room and <c>/healthz</c>.</summary>
public sealed class SourceMonitor(TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<int, SourceStatus> _statuses = new();

    /// <summary>Raised after each change, on the thread that made it. Handlers must be quick.</summary>
    public event Action<SourceStatus>? Changed;

    public IReadOnlyList<SourceStatus> Snapshot() => _statuses.Values.OrderBy(s => s.SourceId).ToList();

    public SourceStatus? Get(int sourceId) => _statuses.GetValueOrDefault(sourceId);

    internal void Register(SourceStatus status)
    {
        _statuses[status.SourceId] = status;
        Changed?.Invoke(status);
    }

    /// <summary>
    /// Forgets a source (after it was removed and stopped): it leaves <c>/healthz</c> and the war room. Updates that
    /// arrive for it afterwards (its pipeline's last word) change nothing.
    /// </summary>
    public void Forget(int sourceId)
    {
        if (_statuses.TryRemove(sourceId, out var last))
            Changed?.Invoke(last with { State = SourceState.Stopped, ChangedAt = _time.GetUtcNow() });
    }

    internal void Update(int sourceId, Func<SourceStatus, SourceStatus> change)
    {
        while (_statuses.TryGetValue(sourceId, out var current))
        {
            var next = change(current) with { ChangedAt = _time.GetUtcNow() };
            if (_statuses.TryUpdate(sourceId, next, current))
            {
                Changed?.Invoke(next);
                return;
            }
        }
    }

    /// <summary>The reporter a connector uses to say what it is doing.</summary>
    public ISourceStatusReporter ReporterFor(int sourceId) => new Reporter(this, sourceId);

    private sealed class Reporter(SourceMonitor monitor, int sourceId) : ISourceStatusReporter
    {
        public void Report(SourceState state, string? detail = null, DateTimeOffset? until = null) =>
            monitor.Update(sourceId, s => s with { State = state, Detail = detail, Until = until });
    }
}
