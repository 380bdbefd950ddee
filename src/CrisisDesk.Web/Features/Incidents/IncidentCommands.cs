using System.Security.Claims;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Map;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Drill;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Incidents;

/// <summary>An incident as lists and headers show it, with the posts its sources stored.</summary>
public sealed class IncidentSummary
{
    public int Id { get; init; }
    public string Name { get; init; } = "";
    public string[] Keywords { get; init; } = [];
    public string? Area { get; init; }
    public bool IsDrill { get; init; }
    public DateTime OpenedAt { get; init; }
    public DateTime? ClosedAt { get; init; }
    public long Posts { get; init; }
}

/// <summary>An incident's area as drawn: CAP polygons and circles, one per string, as CAP writes them.</summary>
public sealed record IncidentAreaShapes(IReadOnlyList<string> Polygons, IReadOnlyList<string> Circles);

/// <summary>A command input that cannot be accepted; the message says what to change.</summary>
public sealed class IncidentInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// Opening incidents and drills: authorised, and recorded with their events in one transaction, through
/// <see cref="CommandRunner"/> on the domain's DbContext.
/// </summary>
public sealed class IncidentCommands(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, IngestHost ingest, IOptions<DrillOptions> drill)
{
    public async Task<IReadOnlyList<IncidentSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await SummariesOf(db).OrderBy(i => i.ClosedAt != null).ThenByDescending(i => i.OpenedAt).ToListAsync(cancellationToken);
    }

    public async Task<IncidentSummary?> GetAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await SummariesOf(db).SingleOrDefaultAsync(i => i.Id == incidentId, cancellationToken);
    }

    /// <summary>Incidents as lists show them, untracked, with the posts their sources stored (removed sources' too).</summary>
    private static IQueryable<IncidentSummary> SummariesOf(CrisisDeskDbContext db) =>
        db.Incidents.AsNoTracking().Select(i => new IncidentSummary
        {
            Id = i.Id, Name = i.Name, Keywords = i.Keywords, Area = i.Area, IsDrill = i.IsDrill, OpenedAt = i.OpenedAt, ClosedAt = i.ClosedAt,
            Posts = db.Sources.Where(s => s.IncidentId == i.Id).Sum(s => (long?)s.PostsStored) ?? 0,
        });

    /// <summary>Opens a live incident (Operator).</summary>
    /// <param name="shapes">The area drawn on the map: CAP polygons and circles as text; each must be one an alert could carry.</param>
    public async Task<int> OpenAsync(ClaimsPrincipal user, string name, IReadOnlyList<string> keywords, string? area, IncidentAreaShapes? shapes = null,
        CancellationToken cancellationToken = default) =>
        await commands.RunAsync(user, new CommandSpec(Policies.Operator, "open an incident", null), async command =>
        {
            name = (name ?? "").Trim();
            if (name.Length is < 3 or > 200)
                throw new IncidentInputException("An incident needs a name of 3 to 200 characters.");
            var cleanKeywords = keywords.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            var drawn = ReadArea(shapes ?? new IncidentAreaShapes([], []));
            var box = PostPlace.Of(drawn.Polygons, drawn.Circles);
            string[] polygons = [.. drawn.Polygons.Select(p => p.ToString())];
            string[] circles = [.. drawn.Circles.Select(c => c.ToString())];
            var incident = new IncidentRow
            {
                Name = name, Keywords = cleanKeywords, Area = string.IsNullOrWhiteSpace(area) ? null : area.Trim(), AreaPolygons = polygons, AreaCircles = circles,
                AreaSouth = box?.South, AreaWest = box?.West, AreaNorth = box?.North, AreaEast = box?.East,
            };
            command.Db.Incidents.Add(incident);
            await command.SaveAsync();
            await command.RecordAsync(incident.Id, new IncidentOpened(name, cleanKeywords, area, AreaPolygons: polygons.Length > 0 ? polygons : null,
                AreaCircles: circles.Length > 0 ? circles : null));
            return incident.Id;
        }, cancellationToken);

    /// <summary>The drawn area as CAP shapes, or the first thing wrong with it, said as the composer says it.</summary>
    private static MapShapes ReadArea(IncidentAreaShapes shapes)
    {
        var polygons = new List<CapPolygon>();
        var circles = new List<CapCircle>();
        foreach (var (text, k) in shapes.Polygons.Select((t, k) => (t, k)))
            polygons.Add(CapShapes.ReadPolygon(text, out var problem) ?? throw new IncidentInputException($"Area polygon {k + 1}: {problem}"));
        foreach (var (text, k) in shapes.Circles.Select((t, k) => (t, k)))
            circles.Add(CapShapes.ReadCircle(text, out var problem) ?? throw new IncidentInputException($"Area circle {k + 1}: {problem}"));
        if (polygons.Count + circles.Count > 50)
            throw new IncidentInputException("An incident area has at most 50 polygons and circles.");
        return new MapShapes(new(polygons), new(circles));
    }

    /// <summary>Opens a drill incident that replays the bundled real incident (Operator).</summary>
    public async Task<int> StartDrillAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        var (incidentId, sourceId) = await commands.RunAsync(user, new CommandSpec(Policies.Operator, "start a drill", null), CreateDrillAsync, cancellationToken);
        await ingest.StartSourceAsync(sourceId, cancellationToken);
        return incidentId;
    }

    /// <summary>Opens a drill incident on behalf of the system at first run; the ingest host starts its source when it starts.</summary>
    internal async Task<int> CreateDrillAsync(string actor, CancellationToken cancellationToken) =>
        (await commands.RunAsAsync(actor, CreateDrillAsync, cancellationToken)).IncidentId;

    private async Task<(int IncidentId, int SourceId)> CreateDrillAsync(CommandTransaction command)
    {
        var dataSet = DrillDataSet.Germanwings;
        var incident = new IncidentRow { Name = $"Drill: {dataSet.Title}", Keywords = [.. dataSet.Keywords], Area = dataSet.Area, IsDrill = true };
        command.Db.Incidents.Add(incident);
        await command.SaveAsync();
        // Enabled: the ingest host starts it (now, or at its own start when the system opens the drill).
        var source = new SourceRow
        {
            IncidentId = incident.Id, Kind = ReplaySourceFactory.KindName, Name = dataSet.SourceName, Enabled = true,
            Config = JsonSerializer.Serialize(new ReplaySourceConfig(dataSet.RelativePath, dataSet.Format)),
        };
        command.Db.Sources.Add(source);
        await command.SaveAsync();
        await command.RecordAsync(incident.Id,
            new IncidentOpened($"Drill: {dataSet.Title}", Drill: true),
            new DrillStarted(dataSet.Title, source.Id, drill.Value.Speed, drill.Value.MaxGapSeconds));
        return (incident.Id, source.Id);
    }
}
