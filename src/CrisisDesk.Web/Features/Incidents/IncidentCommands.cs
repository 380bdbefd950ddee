using System.Security.Claims;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Map;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Drill;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Incidents;

/// <summary>An incident as lists and headers show it. A class with setters: Dapper fills it by column name.</summary>
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

/// <summary>Opening incidents and drills: authorised, and recorded with their events in one transaction.</summary>
public sealed class IncidentCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, IngestHost ingest, IOptions<DrillOptions> drill)
{
    public async Task<IReadOnlyList<IncidentSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<IncidentSummary>("""
            SELECT i.id, i.name, i.keywords, i.area, i.is_drill AS IsDrill, i.opened_at AS OpenedAt, i.closed_at AS ClosedAt,
                   coalesce((SELECT sum(posts_stored) FROM sources s WHERE s.incident_id = i.id), 0)::bigint AS Posts
              FROM incidents i ORDER BY i.closed_at IS NOT NULL, i.opened_at DESC
            """);
        return rows.ToList();
    }

    public async Task<IncidentSummary?> GetAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<IncidentSummary>("""
            SELECT i.id, i.name, i.keywords, i.area, i.is_drill AS IsDrill, i.opened_at AS OpenedAt, i.closed_at AS ClosedAt,
                   coalesce((SELECT sum(posts_stored) FROM sources s WHERE s.incident_id = i.id), 0)::bigint AS Posts
              FROM incidents i WHERE i.id = @incidentId
            """, new { incidentId });
    }

    /// <summary>Opens a live incident (Operator).</summary>
    /// <param name="shapes">The area drawn on the map: CAP polygons and circles as text; each must be one an alert could carry.</param>
    public async Task<int> OpenAsync(ClaimsPrincipal user, string name, IReadOnlyList<string> keywords, string? area, IncidentAreaShapes? shapes = null,
        CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "open an incident", cancellationToken: cancellationToken);
        name = (name ?? "").Trim();
        if (name.Length is < 3 or > 200)
            throw new IncidentInputException("An incident needs a name of 3 to 200 characters.");
        var cleanKeywords = keywords.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var drawn = ReadArea(shapes ?? new IncidentAreaShapes([], []));
        var box = PostPlace.Of(drawn.Polygons, drawn.Circles);
        string[] polygons = [.. drawn.Polygons.Select(p => p.ToString())];
        string[] circles = [.. drawn.Circles.Select(c => c.ToString())];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO incidents (name, keywords, area, area_polygons, area_circles, area_south, area_west, area_north, area_east)
            VALUES (@name, @keywords, @area, @polygons, @circles, @south, @west, @north, @east) RETURNING id
            """,
            new { name, keywords = cleanKeywords, area = string.IsNullOrWhiteSpace(area) ? null : area.Trim(), polygons, circles,
                  south = box?.South, west = box?.West, north = box?.North, east = box?.East }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), id,
            new IncidentOpened(name, cleanKeywords, area, AreaPolygons: polygons.Length > 0 ? polygons : null,
                AreaCircles: circles.Length > 0 ? circles : null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

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
        await authorizer.RequireAsync(user, Policies.Operator, "start a drill", cancellationToken: cancellationToken);
        var (incidentId, sourceId) = await CreateDrillCoreAsync(user.ActorName(), cancellationToken);
        await ingest.StartSourceAsync(sourceId, cancellationToken);
        return incidentId;
    }

    /// <summary>Opens a drill incident on behalf of the system at first run; the ingest host starts its source when it starts.</summary>
    internal async Task<int> CreateDrillAsync(string actor, CancellationToken cancellationToken) =>
        (await CreateDrillCoreAsync(actor, cancellationToken)).IncidentId;

    private async Task<(int IncidentId, int SourceId)> CreateDrillCoreAsync(string actor, CancellationToken cancellationToken)
    {
        var dataSet = DrillDataSet.Germanwings;
        var config = JsonSerializer.Serialize(new ReplaySourceConfig(dataSet.RelativePath, dataSet.Format));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var incidentId = await connection.ExecuteScalarAsync<int>(
            "INSERT INTO incidents (name, keywords, area, is_drill) VALUES (@name, @keywords, @area, true) RETURNING id",
            new { name = $"Drill: {dataSet.Title}", keywords = dataSet.Keywords, area = dataSet.Area }, transaction);
        var sourceId = await connection.ExecuteScalarAsync<int>(
            "INSERT INTO sources (incident_id, kind, name, config) VALUES (@incidentId, @kind, @name, @config::jsonb) RETURNING id",
            new { incidentId, kind = ReplaySourceFactory.KindName, name = dataSet.SourceName, config }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, incidentId, new IncidentOpened($"Drill: {dataSet.Title}", Drill: true), cancellationToken);
        await EventLog.AppendAsync(connection, transaction, actor, incidentId,
            new DrillStarted(dataSet.Title, sourceId, drill.Value.Speed, drill.Value.MaxGapSeconds), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (incidentId, sourceId);
    }
}
