using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>A source as stored. A class with setters: Dapper fills it by column name.</summary>
public sealed class SourceRecord
{
    public int Id { get; init; }
    public int IncidentId { get; init; }
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string Config { get; init; } = "{}";
    public bool Enabled { get; init; }
    public long PostsStored { get; init; }
    public long Quarantined { get; init; }
    public DateTime? LastItemAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? RemovedAt { get; init; }
    public DateTime? IncidentClosedAt { get; init; }
}

/// <summary>Whether a source's named credential is set. The value itself is never read out of configuration here.</summary>
public sealed record CredentialStatus(string Name, bool Configured);

/// <summary>
/// A source as the Sources page and the HTTP API show it: its stored settings, whether this node runs it, its live
/// state (from <see cref="SourceMonitor"/>) and its counters. Its config holds a credential's name, never its value.
/// </summary>
public sealed record SourceView(
    int Id, int IncidentId, string Kind, string Name, bool Enabled, bool Running,
    string State, string StateText, string? Detail, DateTimeOffset? Until,
    long PostsStored, long Quarantined, DateTimeOffset? LastItemAt,
    JsonElement Config, CredentialStatus? Credential);

/// <summary>A source command's input that cannot be accepted, with one message per field (<c>name</c>, <c>url</c>, <c>rules[0].value</c>, …).</summary>
public sealed class SourceInputException(IReadOnlyDictionary<string, string> errors)
    : CommandException("The source's settings are not valid: " + string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value}")), StatusCodes.Status400BadRequest)
{
    public IReadOnlyDictionary<string, string> Errors { get; } = errors;

    /// <summary>A validation problem with one message per field, as the Sources form shows them.</summary>
    public override IResult ToResult() =>
        Results.ValidationProblem(Errors.ToDictionary(p => p.Key, p => new[] { p.Value }), title: "The source's settings are not valid.");
}

/// <summary>The incident or the source does not exist (or the source belongs to another incident).</summary>
public sealed class SourceNotFoundException(string message) : CommandException(message, StatusCodes.Status404NotFound);

/// <summary>The command does not fit the source's state: it was removed, or its incident is closed.</summary>
public sealed class SourceConflictException(string message) : CommandException(message, StatusCodes.Status409Conflict);

/// <summary>
/// Managing an incident's sources. Operators may look; only Admins add, change, start, stop and remove, checked on
/// the server for every command. Each change and its event (<c>source.added</c>, <c>source.changed</c>,
/// <c>source.started</c>, <c>source.stopped</c>, <c>source.removed</c>) are written in one transaction.
/// </summary>
/// <remarks>
/// <c>enabled</c> is the one switch: it is what the ingest host reads when CrisisDesk starts, so Start sets it and
/// Stop clears it, and what the page shows as running is what runs after a restart. A new source is added stopped,
/// so it can be tested first. Removal is soft: the row stays (posts refer to it), disabled and hidden.
/// </remarks>
public sealed class SourceCommands(
    NpgsqlDataSource dataSource,
    CommandAuthorizer authorizer,
    IngestHost ingest,
    SourceMonitor monitor,
    IEnumerable<ISourceFactory> factories,
    SourceSecrets secrets,
    ReplayFiles replayFiles,
    TimeProvider time)
{
    private readonly Dictionary<string, ISourceFactory> _factories = factories.ToDictionary(f => f.Kind, StringComparer.Ordinal);

    private const string SelectSource = """
        SELECT s.id, s.incident_id AS IncidentId, s.kind, s.name, s.config::text AS Config, s.enabled, s.posts_stored AS PostsStored,
               s.quarantined, s.last_item_at AS LastItemAt, s.created_at AS CreatedAt, s.removed_at AS RemovedAt, i.closed_at AS IncidentClosedAt
          FROM sources s JOIN incidents i ON i.id = s.incident_id
        """;

    /// <summary>Whether <c>CrisisDesk:Secrets:&lt;name&gt;</c> holds a value.</summary>
    public bool SecretIsConfigured(string name) => secrets.IsConfigured(name);

    /// <summary>The incident's sources that were not removed, oldest first (Operator).</summary>
    public async Task<IReadOnlyList<SourceRecord>> ListAsync(ClaimsPrincipal user, int incidentId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "view an incident's sources", incidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = @incidentId)", new { incidentId }))
            throw new SourceNotFoundException($"There is no incident {incidentId}.");
        var rows = await connection.QueryAsync<SourceRecord>(SelectSource + " WHERE s.incident_id = @incidentId AND s.removed_at IS NULL ORDER BY s.id", new { incidentId });
        return rows.ToList();
    }

    /// <summary>The stored source with what this node knows of it now (no database round trip).</summary>
    public SourceView ViewOf(SourceRecord source)
    {
        var running = ingest.IsRunning(source.Id);
        var status = monitor.Get(source.Id);
        // Not running: a source that should run says why it does not (failed, or read to its end); the others are stopped.
        var state = running ? status?.State ?? SourceState.Starting
            : source.Enabled && status is { State: SourceState.Failed or SourceState.Completed } ? status.State
            : SourceState.Stopped;
        var detail = state == SourceState.Stopped ? null : status?.Detail;
        var until = state == SourceState.Stopped ? null : status?.Until;
        // The monitor counts what this run stored on top of what it read at start; once stopped, the table is as new.
        var stored = Math.Max(source.PostsStored, status?.PostsStored ?? 0);
        var quarantined = Math.Max(source.Quarantined, status?.Quarantined ?? 0);
        DateTimeOffset? lastItem = source.LastItemAt is { } last ? new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)) : null;
        if (status?.LastItemAt is { } live && (lastItem is null || live > lastItem))
            lastItem = live;
        using var config = JsonDocument.Parse(source.Config);
        CredentialStatus? credential = null;
        if (SourceConfigValidator.NeedsSecret(source.Kind) && config.RootElement.TryGetProperty("tokenSecret", out var secret) && secret.ValueKind == JsonValueKind.String)
            credential = new CredentialStatus(secret.GetString()!, SecretIsConfigured(secret.GetString()!));
        return new SourceView(source.Id, source.IncidentId, source.Kind, source.Name, source.Enabled, running,
            state.ToString(), SourceStateText.Describe(state, detail, until, time.GetUtcNow()), detail, until,
            stored, quarantined, lastItem, config.RootElement.Clone(), credential);
    }

    /// <summary>
    /// Checks a name and configuration for a kind, then lets the kind's own connector factory read it (without
    /// starting anything), so what is stored is what the connector accepts.
    /// </summary>
    public ValidatedSourceConfig Check(int incidentId, string kind, string? name, JsonElement config)
    {
        var validated = new SourceConfigValidator(secrets, replayFiles).Validate(kind, config);
        var errors = new Dictionary<string, string>(validated.Errors, StringComparer.Ordinal);
        if (SourceConfigValidator.NameError(name) is { } nameError)
            errors["name"] = nameError;
        if (errors.Count == 0)
        {
            if (!_factories.TryGetValue(kind, out var factory))
            {
                errors["kind"] = $"This CrisisDesk cannot run sources of kind \"{kind}\".";
            }
            else
            {
                try
                {
                    factory.Create(new SourceDefinition(0, incidentId, kind, name!.Trim(), validated.Json, null, 0, 0, null), IgnoredStatus.Instance);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or JsonException)
                {
                    errors["config"] = $"The {kind} connector does not accept this configuration: {e.Message}";
                }
            }
        }
        return validated with { Errors = errors };
    }

    /// <summary>Adds a source, stopped (Admin). Returns its id.</summary>
    public async Task<int> AddAsync(ClaimsPrincipal user, int incidentId, string kind, string? name, JsonElement config, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "add a source", incidentId, cancellationToken);
        var validated = Check(incidentId, kind, name, config);
        if (!validated.IsValid)
            throw new SourceInputException(validated.Errors);
        name = name!.Trim();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var incident = await connection.QuerySingleOrDefaultAsync<(int Id, DateTime? ClosedAt)?>(
            "SELECT id, closed_at FROM incidents WHERE id = @incidentId FOR SHARE", new { incidentId }, transaction)
            ?? throw new SourceNotFoundException($"There is no incident {incidentId}.");
        if (incident.ClosedAt is not null)
            throw new SourceConflictException("The incident is closed: it takes no new sources.");
        var id = await connection.ExecuteScalarAsync<int>(
            "INSERT INTO sources (incident_id, kind, name, config, enabled) VALUES (@incidentId, @kind, @name, @config::jsonb, false) RETURNING id",
            new { incidentId, kind, name, config = validated.Json }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
            new SourceAdded(id, kind, name, JsonNode.Parse(validated.Json), Enabled: false), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>
    /// Changes a source's name and configuration (Admin); its kind stays. A running source is restarted so the change
    /// applies, and when it now reads from somewhere else (another feed, instance or file) its cursor starts afresh.
    /// Returns false when nothing changed.
    /// </summary>
    public async Task<bool> ChangeAsync(ClaimsPrincipal user, int incidentId, int sourceId, string? name, JsonElement config, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "change a source", incidentId, cancellationToken);
        var existing = await FindLiveAsync(incidentId, sourceId, cancellationToken);
        var validated = Check(incidentId, existing.Kind, name, config);
        if (!validated.IsValid)
            throw new SourceInputException(validated.Errors);
        name = name!.Trim();
        var oldConfig = JsonNode.Parse(existing.Config);
        var newConfig = JsonNode.Parse(validated.Json);
        if (name == existing.Name && JsonNode.DeepEquals(oldConfig, newConfig))
            return false;

        var resetCursor = AddressOf(existing.Kind, oldConfig) != AddressOf(existing.Kind, newConfig);
        var wasRunning = ingest.IsRunning(sourceId);
        // Stopped first, so that the pipeline's last batch (and its cursor) is committed before the cursor is reset.
        if (wasRunning)
            await ingest.StopSourceAsync(sourceId);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(
                "UPDATE sources SET name = @name, config = @config::jsonb, cursor = CASE WHEN @resetCursor THEN NULL ELSE cursor END WHERE id = @sourceId",
                new { name, config = validated.Json, resetCursor, sourceId }, transaction);
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
                new SourceChanged(sourceId, existing.Kind, name, existing.Name, newConfig, resetCursor, wasRunning), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            // Whether or not the change was stored, a source that was running runs again (with whichever config is stored).
            if (wasRunning)
                await ingest.StartSourceAsync(sourceId, CancellationToken.None);
        }
        return true;
    }

    /// <summary>Starts the source now and on every later start of CrisisDesk (Admin). Returns false when it was already running.</summary>
    public async Task<bool> StartAsync(ClaimsPrincipal user, int incidentId, int sourceId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "start a source", incidentId, cancellationToken);
        var existing = await FindLiveAsync(incidentId, sourceId, cancellationToken);
        if (existing.IncidentClosedAt is not null)
            throw new SourceConflictException("The incident is closed: its sources cannot be started.");
        if (existing.Enabled && ingest.IsRunning(sourceId))
            return false;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync("UPDATE sources SET enabled = true WHERE id = @sourceId", new { sourceId }, transaction);
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
                new SourceStarted(sourceId, existing.Kind, existing.Name), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await ingest.StartSourceAsync(sourceId, CancellationToken.None);
        return true;
    }

    /// <summary>Stops the source and keeps it stopped across restarts (Admin); its cursor stays for the next start. Returns false when it was not running.</summary>
    public async Task<bool> StopAsync(ClaimsPrincipal user, int incidentId, int sourceId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "stop a source", incidentId, cancellationToken);
        var existing = await FindLiveAsync(incidentId, sourceId, cancellationToken);
        if (!existing.Enabled && !ingest.IsRunning(sourceId))
            return false;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync("UPDATE sources SET enabled = false WHERE id = @sourceId", new { sourceId }, transaction);
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
                new SourceStopped(sourceId, existing.Kind, existing.Name), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await ingest.StopSourceAsync(sourceId);
        return true;
    }

    /// <summary>Stops and removes the source (Admin): disabled and hidden (from the monitor too), kept for the posts it brought in.</summary>
    public async Task RemoveAsync(ClaimsPrincipal user, int incidentId, int sourceId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "remove a source", incidentId, cancellationToken);
        var existing = await FindLiveAsync(incidentId, sourceId, cancellationToken);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await connection.ExecuteAsync("UPDATE sources SET enabled = false, removed_at = now() WHERE id = @sourceId", new { sourceId }, transaction);
            await EventLog.AppendAsync(connection, transaction, user.ActorName(), incidentId,
                new SourceRemoved(sourceId, existing.Kind, existing.Name, ingest.IsRunning(sourceId)), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await ingest.StopSourceAsync(sourceId);
        // Stopped first (its last batch committed), then gone from /healthz and the war room.
        monitor.Forget(sourceId);
    }

    /// <summary>The source if it belongs to the incident and was not removed.</summary>
    private async Task<SourceRecord> FindLiveAsync(int incidentId, int sourceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var source = await connection.QuerySingleOrDefaultAsync<SourceRecord>(SelectSource + " WHERE s.id = @sourceId AND s.incident_id = @incidentId", new { sourceId, incidentId })
            ?? throw new SourceNotFoundException($"Incident {incidentId} has no source {sourceId}.");
        return source.RemovedAt is null ? source : throw new SourceConflictException($"Source {sourceId} was removed.");
    }

    /// <summary>Where a source reads from, as far as its cursor is concerned: a cursor from one place means nothing at another.</summary>
    private static string AddressOf(string kind, JsonNode? config) => kind switch
    {
        "rss" or "atom" or "cap-feed" => $"{config?["url"]}",
        "mastodon" => $"{config?["instance"]}|{config?["stream"]}|{config?["hashtag"]}",
        SourceConfigValidator.Replay => $"{config?["file"]}|{config?["format"]}",
        // X's and Jetstream's cursors are times and ids valid across rule and keyword changes.
        _ => "",
    };

    /// <summary>A status reporter for connectors built only to check their configuration: they never run.</summary>
    private sealed class IgnoredStatus : ISourceStatusReporter
    {
        public static readonly IgnoredStatus Instance = new();

        public void Report(SourceState state, string? detail = null, DateTimeOffset? until = null)
        {
            // Never called: the connector is not started.
        }
    }
}

/// <summary>How a source's state reads: "connected", "reconnecting in 12 s", "rate-limited until 14:05:00 UTC", "failed: …".</summary>
public static class SourceStateText
{
    public static string Describe(SourceState state, string? detail, DateTimeOffset? until, DateTimeOffset now) => state switch
    {
        SourceState.Reconnecting when until is { } at => $"reconnecting in {Math.Max(0, Math.Ceiling((at - now).TotalSeconds)):0} s",
        SourceState.RateLimited when until is { } at => $"rate-limited until {at.UtcDateTime:HH:mm:ss} UTC",
        SourceState.Failed => string.IsNullOrWhiteSpace(detail) ? "failed" : $"failed: {detail}",
        SourceState.Degraded => string.IsNullOrWhiteSpace(detail) ? "degraded" : $"degraded: {detail}",
        SourceState.Completed => "completed (all items read)",
        var other => other.ToString().ToLowerInvariant(),
    };
}
