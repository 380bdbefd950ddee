using CrisisDesk.Core.Classification;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>How many posts of one minute (or one source) read negative, neutral and positive.</summary>
public sealed record MoodCounts(int Negative, int Neutral, int Positive)
{
    public int Total => Negative + Neutral + Positive;

    public double Share(int count) => Total == 0 ? 0 : 100.0 * count / Total;
}

/// <summary>One minute of event time's mood.</summary>
public sealed record MinuteMood(DateTime Minute, MoodCounts Counts)
{
    public string Label => Minute.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The mood over the chart's window: per minute, and per source (platform) for the whole window.</summary>
public sealed record MoodSeries(IReadOnlyList<MinuteMood> Minutes, IReadOnlyList<(string Platform, MoodCounts Counts)> Sources)
{
    /// <summary>Every minute of the window ending at <paramref name="now"/> (the incident clock) or at the latest post, empty minutes included.</summary>
    public IReadOnlyList<MinuteMood> Window(DateTime? now)
    {
        if (Minutes.Count == 0)
            return [];
        var counts = Minutes.ToDictionary(m => m.Minute);
        var last = now is { } end ? new DateTime(end.Ticks - end.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc) : Minutes[^1].Minute;
        var window = new List<MinuteMood>(WarRoomQueries.VolumeMinutes);
        for (var minute = last.AddMinutes(-WarRoomQueries.VolumeMinutes + 1); minute <= last; minute = minute.AddMinutes(1))
            window.Add(counts.GetValueOrDefault(minute) ?? new MinuteMood(minute, new MoodCounts(0, 0, 0)));
        return window;
    }
}

/// <summary>What the mood panel reads; one short-lived connection per query.</summary>
public sealed class MoodQueries(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The mood of the classified posts in the last <see cref="WarRoomQueries.VolumeMinutes"/> minutes of event time up
    /// to the latest post (the same window as the volume chart), by minute and by platform. Mood bands are VADER's.
    /// </summary>
    public async Task<MoodSeries> MoodAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        // hot path: counts over posts per minute, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(DateTime Minute, string Platform, int Negative, int Neutral, int Positive)>(new CommandDefinition("""
            WITH latest AS (SELECT max(created_at) AS at FROM posts WHERE incident_id = @incidentId)
            SELECT date_trunc('minute', p.created_at), p.platform,
                   (count(*) FILTER (WHERE p.sentiment <= -@band))::int,
                   (count(*) FILTER (WHERE p.sentiment > -@band AND p.sentiment < @band))::int,
                   (count(*) FILTER (WHERE p.sentiment >= @band))::int
              FROM posts p, latest
             WHERE p.incident_id = @incidentId AND p.created_at > latest.at - make_interval(mins => @minutes) AND p.sentiment IS NOT NULL
             GROUP BY 1, 2 ORDER BY 1, 2
            """, new { incidentId, minutes = WarRoomQueries.VolumeMinutes, band = (float)VaderSentiment.NeutralBand }, cancellationToken: cancellationToken))).ToList();
        var minutes = rows.GroupBy(r => r.Minute).Select(g => new MinuteMood(DateTime.SpecifyKind(g.Key, DateTimeKind.Utc),
            new MoodCounts(g.Sum(r => r.Negative), g.Sum(r => r.Neutral), g.Sum(r => r.Positive)))).ToList();
        var sources = rows.GroupBy(r => r.Platform).Select(g => (g.Key, new MoodCounts(g.Sum(r => r.Negative), g.Sum(r => r.Neutral), g.Sum(r => r.Positive))))
            .OrderByDescending(s => s.Item2.Total).ToList();
        return new MoodSeries(minutes, sources);
    }
}
