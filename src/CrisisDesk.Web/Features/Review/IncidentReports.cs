using CrisisDesk.Core.Events;
using CrisisDesk.Core.Review;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Enquiries;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary>Everything a report says about one incident, computed once.</summary>
public sealed record ReportData(ReplayTimeline Timeline, IncidentMetrics Metrics, IncidentState Final, DateTimeOffset GeneratedAt)
{
    /// <summary>Who asked the organisation something, and how fast and how well each channel was answered (issue 18).</summary>
    public EnquiryMetrics? Enquiries { get; init; }
}

/// <summary>
/// Loads what a report says about one incident (<see cref="ReportData"/>): its timeline, the state it ended in, its
/// metrics. <see cref="IncidentReportDocuments"/> renders it as HTML or Markdown; <see cref="IncidentDataExport"/> streams
/// its data as CSV or JSON.
/// </summary>
public sealed class IncidentReports(NpgsqlDataSource dataSource, ReplayQueries replay, EnquiryQueries enquiryQueries)
{
    public async Task<ReportData?> LoadAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        var timeline = await replay.TimelineAsync(incidentId, cancellationToken);
        if (timeline is null)
            return null;
        var final = IncidentStateFolder.Fold(timeline.Events, DateTimeOffset.MaxValue);
        var linked = final.Rumours.SelectMany(r => r.PostIds).Concat(final.FlaggedPosts.Keys).Distinct().ToList();
        var arrivals = await replay.ArrivalsAsync(incidentId, linked, cancellationToken);
        DateTimeOffset? firstPost = timeline.Volume.Minutes.Count > 0 ? timeline.Volume.Minutes[0].Minute : null;
        firstPost = await FirstArrivalAsync(incidentId, cancellationToken) ?? firstPost;
        var start = timeline.Events.FirstOrDefault(e => e.Action == EventActions.IncidentOpened)?.At ?? timeline.Start;
        var metrics = ReviewMetrics.Compute(timeline.Events, start, firstPost, arrivals);
        var generatedAt = DateTimeOffset.UtcNow;
        var enquiries = await enquiryQueries.MetricsAsync(incidentId, generatedAt.UtcDateTime, cancellationToken);
        return new ReportData(timeline, metrics, final, generatedAt) { Enquiries = enquiries };
    }

    private async Task<DateTimeOffset?> FirstArrivalAsync(int incidentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // hot path: posts at volume (the incident's first arrival), Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var command = new NpgsqlCommand("SELECT min(received_at) FROM posts WHERE incident_id = $1", connection) { Parameters = { new() { Value = incidentId } } };
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? DbTime.Utc(at) : null;
    }

    /// <summary>Rows a data export will write (posts plus events), for the progress shown while it streams.</summary>
    public async Task<long> ExpectedRowsAsync(int incidentId, string? table, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var posts = table is null or "posts" ? await PostCountAsync(connection, incidentId, cancellationToken) : 0;
        var events = table is "posts" ? 0 : await EventLogReader.CountAsync(connection, new EventFilter(IncidentId: incidentId), cancellationToken);
        return posts + events;
    }

    private static async Task<long> PostCountAsync(NpgsqlConnection connection, int incidentId, CancellationToken cancellationToken)
    {
        // hot path: a count over posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var command = new NpgsqlCommand("SELECT count(*) FROM posts WHERE incident_id = $1", connection) { Parameters = { new() { Value = incidentId } } };
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
