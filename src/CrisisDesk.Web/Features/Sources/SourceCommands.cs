using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>A source as stored, with whether its incident is closed (read in the same query).</summary>
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
/// <c>source.started</c>, <c>source.stopped</c>, <c>source.removed</c>) are written in one transaction, through
/// <see cref="CommandRunner"/> on the domain's DbContext.
/// </summary>
/// <remarks>
/// <para><c>enabled</c> is the one switch: it is what the ingest host reads when CrisisDesk starts, so Start sets it and
/// Stop clears it, and what the page shows as running is what runs after a restart. A new source is added stopped,
/// so it can be tested first. Removal is soft: the row stays (posts refer to it), disabled and hidden.</para>
/// <para>A source's row is saved under its xmin token. The pipeline writes the same row with every batch (cursor and
/// counters) and EF writes only the columns a command changed, so neither overwrites the other; when a save finds the
/// row changed since it was read, the command runs again on the row as it now is (<see cref="CommandRunner.RunWithRetryAsync{T}"/>):
/// a start finds the source removed meanwhile, a stop finds it stopped. An edit whose name or settings someone else
/// changed meanwhile is refused as a conflict rather than laid over theirs.</para>
/// </remarks>
public sealed class SourceCommands(
    IDbContextFactory<CrisisDeskDbContext> contexts,
    CommandRunner commands,
    CommandAuthorizer authorizer,
    IngestHost ingest,
    SourceMonitor monitor,
    IEnumerable<ISourceFactory> factories,
    SourceSecrets secrets,
    ReplayFiles replayFiles,
    TimeProvider time)
{
    private readonly Dictionary<string, ISourceFactory> _factories = factories.ToDictionary(f => f.Kind, StringComparer.Ordinal);

    /// <summary>Whether <c>CrisisDesk:Secrets:&lt;name&gt;</c> holds a value.</summary>
    public bool SecretIsConfigured(string name) => secrets.IsConfigured(name);

    /// <summary>The incident's sources that were not removed, oldest first (Operator).</summary>
    public async Task<IReadOnlyList<SourceRecord>> ListAsync(ClaimsPrincipal user, int incidentId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "view an incident's sources", incidentId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Incidents.AnyAsync(i => i.Id == incidentId, cancellationToken))
            throw new SourceNotFoundException($"There is no incident {incidentId}.");
        return await RecordsOf(db).Where(s => s.IncidentId == incidentId && s.RemovedAt == null).OrderBy(s => s.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Edits and deletions each of the incident's sources applied: counted by ingest in the sources table, which
    /// <see cref="SourceRecord"/> does not carry. For a page that has just listed the sources (<see cref="ListAsync"/> authorised it).
    /// </summary>
    public async Task<IReadOnlyDictionary<int, SourceTable.EditCounts>> EditCountsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Sources.AsNoTracking().Where(s => s.IncidentId == incidentId && s.RemovedAt == null)
            .Select(s => new { s.Id, s.EditsStored, s.DeletionsApplied })
            .ToDictionaryAsync(s => s.Id, s => new SourceTable.EditCounts(s.EditsStored, s.DeletionsApplied), cancellationToken);
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
        DateTimeOffset? lastItem = source.LastItemAt is { } last ? DbTime.Utc(last) : null;
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
    public async Task<int> AddAsync(ClaimsPrincipal user, int incidentId, string kind, string? name, JsonElement config, CancellationToken cancellationToken = default) =>
        await commands.RunAsync(user, new CommandSpec(Policies.Admin, "add a source", incidentId), async command =>
        {
            var validated = Check(incidentId, kind, name, config);
            if (!validated.IsValid)
                throw new SourceInputException(validated.Errors);
            var trimmed = name!.Trim();
            // Held to commit (FOR SHARE): the incident cannot be closed between this check and the insert.
            var incident = await IncidentLocks.ShareAsync(command.Db, incidentId, command.CancellationToken)
                ?? throw new SourceNotFoundException($"There is no incident {incidentId}.");
            if (incident.ClosedAt is not null)
                throw new SourceConflictException("The incident is closed: it takes no new sources.");
            var source = new SourceRow { IncidentId = incidentId, Kind = kind, Name = trimmed, Config = validated.Json, Enabled = false };
            command.Db.Sources.Add(source);
            await command.SaveAsync();
            await command.RecordAsync(incidentId, new SourceAdded(source.Id, kind, trimmed, JsonNode.Parse(validated.Json), Enabled: false));
            return source.Id;
        }, cancellationToken);

    /// <summary>
    /// Changes a source's name and configuration (Admin); its kind stays. A running source is restarted so the change
    /// applies, and when it now reads from somewhere else (another feed, instance or file) its cursor starts afresh.
    /// Returns false when nothing changed.
    /// </summary>
    /// <exception cref="SourceConflictException">409 when someone else changed the source's name or settings, or removed it, at the same moment.</exception>
    public async Task<bool> ChangeAsync(ClaimsPrincipal user, int incidentId, int sourceId, string? name, JsonElement config, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "change a source", incidentId, cancellationToken);
        // What the change is made against: the kind to validate for, the address the cursor belongs to.
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
            await OnSourceAsync(user, "change a source", incidentId, sourceId, async (command, loaded) =>
            {
                var source = loaded.Source;
                // Another Admin's edit landed after ours was read: laying ours over it would lose theirs unseen.
                if (source.Name != existing.Name || !JsonNode.DeepEquals(JsonNode.Parse(source.Config), oldConfig))
                    throw new SourceConflictException(
                        $"Someone else changed source {sourceId} at the same moment (it is now named “{source.Name}”): look at it again and make your change on what it is now.");
                source.Name = name;
                source.Config = validated.Json;
                if (resetCursor)
                    source.Cursor = null;
                return await command.RecordAsync(incidentId, new SourceChanged(sourceId, existing.Kind, name, existing.Name, newConfig, resetCursor, wasRunning));
            }, cancellationToken, authorised: true);
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
        var started = await OnSourceAsync(user, "start a source", incidentId, sourceId, async (command, loaded) =>
        {
            if (loaded.IncidentClosedAt is not null)
                throw new SourceConflictException("The incident is closed: its sources cannot be started.");
            var source = loaded.Source;
            if (source.Enabled && ingest.IsRunning(sourceId))
            {
                command.NothingChanged();
                return false;
            }
            source.Enabled = true;
            await command.RecordAsync(incidentId, new SourceStarted(sourceId, source.Kind, source.Name));
            return true;
        }, cancellationToken);
        if (started)
            await ingest.StartSourceAsync(sourceId, CancellationToken.None);
        return started;
    }

    /// <summary>Stops the source and keeps it stopped across restarts (Admin); its cursor stays for the next start. Returns false when it was not running.</summary>
    public async Task<bool> StopAsync(ClaimsPrincipal user, int incidentId, int sourceId, CancellationToken cancellationToken = default)
    {
        var stopped = await OnSourceAsync(user, "stop a source", incidentId, sourceId, async (command, loaded) =>
        {
            var source = loaded.Source;
            if (!source.Enabled && !ingest.IsRunning(sourceId))
            {
                command.NothingChanged();
                return false;
            }
            source.Enabled = false;
            await command.RecordAsync(incidentId, new SourceStopped(sourceId, source.Kind, source.Name));
            return true;
        }, cancellationToken);
        if (stopped)
            await ingest.StopSourceAsync(sourceId);
        return stopped;
    }

    /// <summary>Stops and removes the source (Admin): disabled and hidden (from the monitor too), kept for the posts it brought in.</summary>
    public async Task RemoveAsync(ClaimsPrincipal user, int incidentId, int sourceId, CancellationToken cancellationToken = default)
    {
        await OnSourceAsync(user, "remove a source", incidentId, sourceId, async (command, loaded) =>
        {
            var source = loaded.Source;
            source.Enabled = false;
            source.RemovedAt = time.GetUtcNow().UtcDateTime;
            return await command.RecordAsync(incidentId, new SourceRemoved(sourceId, source.Kind, source.Name, ingest.IsRunning(sourceId)));
        }, cancellationToken);
        await ingest.StopSourceAsync(sourceId);
        // Stopped first (its last batch committed), then gone from /healthz and the war room.
        monitor.Forget(sourceId);
    }

    /// <summary>
    /// One change to one live source of the incident (Admin), through <see cref="CommandRunner.RunAsync{T}"/>: the row
    /// read, tracked, in the command's transaction, changed and saved under its xmin token, its event appended; run again
    /// on the row as it now is when a concurrent write reached it first.
    /// </summary>
    /// <param name="authorised">The caller authorised the command already (before a read it needed first): not again here.</param>
    private Task<T> OnSourceAsync<T>(ClaimsPrincipal user, string what, int incidentId, int sourceId,
        Func<CommandTransaction, SourceForChange, Task<T>> change, CancellationToken cancellationToken, bool authorised = false)
    {
        async Task<T> ChangeLoadedAsync(CommandTransaction command)
        {
            var loaded = await SourceForChangeQuery(command.Db, sourceId, incidentId, command.CancellationToken)
                ?? throw new SourceNotFoundException($"Incident {incidentId} has no source {sourceId}.");
            if (loaded.Source.RemovedAt is not null)
                throw new SourceConflictException($"Source {sourceId} was removed.");
            return await change(command, loaded);
        }

        return CommandRunner.RunWithRetryAsync(() => authorised
                ? commands.RunAsAsync(user.ActorName(), ChangeLoadedAsync, cancellationToken)
                : commands.RunAsync(user, new CommandSpec(Policies.Admin, what, incidentId), ChangeLoadedAsync, cancellationToken),
            () => new SourceConflictException($"Others changed source {sourceId} at the same moment, several times over: look at it again and retry."));
    }

    /// <summary>A source loaded for change, tracked, with when its incident was closed (read in the same query).</summary>
    private sealed class SourceForChange
    {
        public required SourceRow Source { get; init; }
        public DateTime? IncidentClosedAt { get; init; }
    }

    // Compiled once: every start, stop, change and removal runs it.
    private static readonly Func<CrisisDeskDbContext, int, int, CancellationToken, Task<SourceForChange?>> SourceForChangeQuery =
        EF.CompileAsyncQuery((CrisisDeskDbContext db, int sourceId, int incidentId, CancellationToken _) =>
            (from s in db.Sources
             join i in db.Incidents on s.IncidentId equals i.Id
             where s.Id == sourceId && s.IncidentId == incidentId
             select new SourceForChange { Source = s, IncidentClosedAt = i.ClosedAt }).SingleOrDefault());

    /// <summary>Sources as the page and the API show them, untracked, with their incident's closing time.</summary>
    private static IQueryable<SourceRecord> RecordsOf(CrisisDeskDbContext db) =>
        from s in db.Sources.AsNoTracking()
        join i in db.Incidents on s.IncidentId equals i.Id
        select new SourceRecord
        {
            Id = s.Id, IncidentId = s.IncidentId, Kind = s.Kind, Name = s.Name, Config = s.Config, Enabled = s.Enabled,
            PostsStored = s.PostsStored, Quarantined = s.Quarantined, LastItemAt = s.LastItemAt, CreatedAt = s.CreatedAt,
            RemovedAt = s.RemovedAt, IncidentClosedAt = i.ClosedAt,
        };

    /// <summary>The source if it belongs to the incident and was not removed.</summary>
    private async Task<SourceRecord> FindLiveAsync(int incidentId, int sourceId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var source = await RecordsOf(db).SingleOrDefaultAsync(s => s.Id == sourceId && s.IncidentId == incidentId, cancellationToken)
            ?? throw new SourceNotFoundException($"Incident {incidentId} has no source {sourceId}.");
        return source.RemovedAt is null ? source : throw new SourceConflictException($"Source {sourceId} was removed.");
    }

    /// <summary>Where a source reads from, as far as its cursor is concerned: a cursor from one place means nothing at another.</summary>
    private static string AddressOf(string kind, JsonNode? config) => kind switch
    {
        SourceKinds.Rss or SourceKinds.Atom or SourceKinds.CapFeed => $"{config?["url"]}",
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
