using System.Text.Json;
using CrisisDesk.Core.Alerts;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Map;

/// <summary>A post with a place: its point (a place's box counts as its centre).</summary>
public sealed record LocatedPost(long Id, double Latitude, double Longitude, string? AuthorHandle, string Text);

/// <summary>Another agency's CAP alert, as its feed gave it, with the areas that are valid CAP.</summary>
public sealed record AgencyAlert(long PostId, string Headline, string? Severity, MapShapes Shapes);

/// <summary>
/// What the maps read: located posts, other agencies' alert areas, an incident's area. (Posts inside an area are the
/// feed's Place filter: <see cref="Triage.TriageQueries"/>, with migration 0821's exact test.)
/// </summary>
public sealed class MapQueries(NpgsqlDataSource dataSource)
{
    // A located post's point: its box's centre (a point is a box of no size).
    private const string LocatedColumns =
        "id, (geo_south + geo_north) / 2 AS Latitude, (geo_west + geo_east) / 2 AS Longitude, author_handle AS AuthorHandle, left(text, 140) AS Text";

    /// <summary>The newest located posts of an incident, newest first, after <paramref name="afterId"/>.</summary>
    public async Task<IReadOnlyList<LocatedPost>> LocatedPostsAsync(int incidentId, long afterId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LocatedPost>(new CommandDefinition($"""
            SELECT {LocatedColumns}
              FROM posts
             WHERE incident_id = @incidentId AND geo_south IS NOT NULL AND platform <> 'cap' AND id > @afterId
             ORDER BY id DESC LIMIT @limit
            """, new { incidentId, afterId, limit }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>
    /// The points of an incident's newest located posts, newest first, as the map's wire format: id, latitude, longitude
    /// for each, flat. Null when there is no such incident. What a map drawn before its page is interactive fetches
    /// (<see cref="MapEndpoints"/>); the same posts and order as <see cref="LocatedPostsAsync"/> from 0.
    /// </summary>
    public async Task<double[]?> LocatedPointsAsync(int incidentId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One round trip: the points, then whether the incident exists (no points and no incident differ).
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("""
                    SELECT id, (geo_south + geo_north) / 2, (geo_west + geo_east) / 2
                      FROM posts
                     WHERE incident_id = $1 AND geo_south IS NOT NULL AND platform <> 'cap'
                     ORDER BY id DESC LIMIT $2
                    """) { Parameters = { new NpgsqlParameter<int> { TypedValue = incidentId }, new NpgsqlParameter<int> { TypedValue = limit } } },
                new("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = $1)") { Parameters = { new NpgsqlParameter<int> { TypedValue = incidentId } } },
            },
        };
        var points = new List<double>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            points.Add(reader.GetInt64(0));
            points.Add(reader.GetDouble(1));
            points.Add(reader.GetDouble(2));
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetBoolean(0) ? [.. points] : null;
    }

    /// <summary>How many located posts a map of the incident holds (at most <paramref name="limit"/>).</summary>
    public async Task<int> LocatedCountAsync(int incidentId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            SELECT count(*)::int FROM (SELECT 1 FROM posts
             WHERE incident_id = @incidentId AND geo_south IS NOT NULL AND platform <> 'cap' LIMIT @limit) AS located
            """, new { incidentId, limit }, cancellationToken: cancellationToken));
    }

    /// <summary>The located posts received by <paramref name="asOf"/> (replay's clock), newest first.</summary>
    public async Task<IReadOnlyList<LocatedPost>> LocatedPostsAsOfAsync(int incidentId, DateTimeOffset asOf, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LocatedPost>(new CommandDefinition($"""
            SELECT {LocatedColumns}
              FROM posts
             WHERE incident_id = @incidentId AND geo_south IS NOT NULL AND platform <> 'cap' AND received_at <= @asOf
             ORDER BY id DESC LIMIT @limit
            """, new { incidentId, asOf, limit }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Other agencies' alerts (posts from CAP-feed sources) that carry an area.</summary>
    public async Task<IReadOnlyList<AgencyAlert>> AgencyAlertsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Extra)>(new CommandDefinition("""
            SELECT id, extra::text FROM posts
             WHERE incident_id = @incidentId AND platform = 'cap' AND geo_south IS NOT NULL AND deleted_at IS NULL
             ORDER BY id DESC LIMIT 500
            """, new { incidentId }, cancellationToken: cancellationToken));
        var alerts = new List<AgencyAlert>();
        foreach (var (id, extra) in rows)
        {
            using var json = JsonDocument.Parse(extra);
            var root = json.RootElement;
            var shapes = new MapShapes(
                new([.. Strings(root, "polygons").Select(t => CapShapes.ReadPolygon(t, out _)).OfType<CapPolygon>()]),
                new([.. Strings(root, "circles").Select(t => CapShapes.ReadCircle(t, out _)).OfType<CapCircle>()]));
            if (!shapes.IsEmpty)
                alerts.Add(new AgencyAlert(id, String(root, "headline") ?? "Alert", String(root, "severity"), shapes));
        }
        return alerts;
    }

    /// <summary>The incident's area as drawn when it was opened (empty when none was).</summary>
    public async Task<MapShapes> IncidentAreaAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string[] Polygons, string[] Circles)>(new CommandDefinition(
            "SELECT area_polygons, area_circles FROM incidents WHERE id = @incidentId", new { incidentId }, cancellationToken: cancellationToken));
        return row.Polygons is null ? MapShapes.Empty : Shapes(row.Polygons, row.Circles);
    }

    public static MapShapes Shapes(IEnumerable<string> polygons, IEnumerable<string> circles) => new(
        new([.. polygons.Select(t => CapShapes.ReadPolygon(t, out _)).OfType<CapPolygon>()]),
        new([.. circles.Select(t => CapShapes.ReadCircle(t, out _)).OfType<CapCircle>()]));

    /// <summary>CAP's severity as a colour: the warmer, the worse (unknown grey).</summary>
    public static string SeverityColour(string? severity) => severity switch
    {
        "Extreme" => "#7b1fa2",
        "Severe" => "#c62828",
        "Moderate" => "#ef6c00",
        "Minor" => "#f9a825",
        _ => "#607d8b",
    };

    private static IEnumerable<string> Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
            : [];

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
