using System.Data;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Replies;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary>Everything a report says about one incident, computed once.</summary>
public sealed record ReportData(ReplayTimeline Timeline, IncidentMetrics Metrics, IncidentState Final, DateTimeOffset GeneratedAt)
{
    /// <summary>Who asked the organisation something, and how fast and how well each channel was answered (issue 18).</summary>
    public EnquiryMetrics? Enquiries { get; init; }
}

/// <summary>
/// Incident reports (HTML and Markdown, charts as inline SVG drawn here) and data exports (CSV per table, JSON of all),
/// the data streamed row by row so that an incident of a million posts exports in constant memory.
/// </summary>
public sealed class IncidentReports(NpgsqlDataSource dataSource, ReplayQueries replay, EnquiryQueries enquiryQueries)
{
    /// <summary>The tables a CSV export can hold, one per file.</summary>
    public static IReadOnlyList<string> CsvTables { get; } = ["posts", "actions", "rumours", "rebuttals", "alerts", "deliveries", "stories"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
        await using var command = new NpgsqlCommand("SELECT min(received_at) FROM posts WHERE incident_id = $1", connection) { Parameters = { new() { Value = incidentId } } };
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? ReplayQueries.Utc(at) : null;
    }

    /// <summary>Rows a data export will write (posts plus events), for the progress shown while it streams.</summary>
    public async Task<long> ExpectedRowsAsync(int incidentId, string? table, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var sql = table switch
        {
            "posts" => "SELECT count(*) FROM posts WHERE incident_id = $1",
            null => "SELECT (SELECT count(*) FROM posts WHERE incident_id = $1) + (SELECT count(*) FROM events WHERE incident_id = $1)",
            _ => "SELECT count(*) FROM events WHERE incident_id = $1",
        };
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = incidentId } } };
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // ---- HTML ---------------------------------------------------------------------------------------------------

    public static string Html(ReportData report)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var t = report.Timeline;
        var m = report.Metrics;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident report: ").Append(E(t.Name)).Append("</title>");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f2f2f2}.muted{color:#666}</style></head><body>\n");
        html.Append("<h1>Incident report: ").Append(E(t.Name)).Append(t.IsDrill ? " (drill)" : "").Append("</h1>\n");
        html.Append("<p class=\"muted\">Incident ").Append(t.IncidentId).Append(" · ").Append(Time(t.Start)).Append(" to ").Append(Time(t.End))
            .Append(t.IsLive ? " (still live)" : "").Append(" · generated ").Append(Time(report.GeneratedAt)).Append("</p>\n");

        html.Append("<h2>Key times</h2>\n<table><tbody>");
        foreach (var (label, value) in KeyTimes(m))
            html.Append("<tr><th>").Append(E(label)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        html.Append("</tbody></table>\n");

        html.Append("<h2>Volume and actions</h2>\n");
        html.Append(Chart(report).ToSvg($"Posts per minute and operator actions, {t.Name}")).Append('\n');

        html.Append("<h2>Rumours</h2>\n");
        AppendTable(html, RumourHeader, m.Rumours.Select(RumourRow), E);
        html.Append("<h2>Alerts and deliveries</h2>\n");
        AppendTable(html, AlertHeader, m.Alerts.Select(AlertRow), E);
        html.Append("<h2>Enquiries</h2>\n");
        AppendTable(html, ["Measure", "Value"], EnquiryFigures(report.Enquiries), E);
        AppendTable(html, EnquiryChannelHeader, EnquiryChannels(report.Enquiries), E);
        AppendTable(html, ["Time (UTC)", "Open enquiries"], OpenOverTime(report.Enquiries), E);
        html.Append("<h2>Who did what</h2>\n");
        AppendTable(html, ["Person", "Action", "Times", "First", "Last"],
            m.WhoDidWhat.Select(a => new[] { a.Actor, a.Action, a.Count.ToString(CultureInfo.InvariantCulture), Time(a.First), Time(a.Last) }), E);
        html.Append("<h2>Timeline of actions</h2>\n<ol>");
        foreach (var e in t.Events)
            html.Append("<li>").Append(E(e.Describe())).Append("</li>");
        html.Append("</ol>\n</body></html>\n");
        return html.ToString();
    }

    private static readonly string[] EnquiryChannelHeader = ["Channel", "Enquiries", "Answered", "Answered share"];

    private static IEnumerable<string[]> EnquiryFigures(EnquiryMetrics? e)
    {
        if (e is null || e.Total == 0)
            yield break;
        static string Span(TimeSpan? span) => span is { } s ? EnquiryLabels.Duration(s) : "none answered";
        yield return ["Enquiries", e.Total.ToString(CultureInfo.InvariantCulture)];
        yield return ["Answered", e.Answered.ToString(CultureInfo.InvariantCulture)];
        yield return ["Still open", e.Open.ToString(CultureInfo.InvariantCulture)];
        yield return ["Open past the answer-time target", e.Overdue.ToString(CultureInfo.InvariantCulture)];
        yield return ["Time to first answer (median)", Span(e.MedianFirstAnswer)];
        yield return ["Time to first answer (mean)", Span(e.MeanFirstAnswer)];
    }

    private static IEnumerable<string[]> EnquiryChannels(EnquiryMetrics? e) =>
        (e?.PerChannel ?? []).Select(c => new[]
        {
            ReplyPlatforms.Label(c.Platform), c.Total.ToString(CultureInfo.InvariantCulture), c.Answered.ToString(CultureInfo.InvariantCulture),
            (c.Share * 100).ToString("0", CultureInfo.InvariantCulture) + "%",
        });

    /// <summary>Every fourth point of the series: enough to read the shape in a table.</summary>
    private static IEnumerable<string[]> OpenOverTime(EnquiryMetrics? e) =>
        (e?.OpenOverTime ?? []).Where((_, i) => i % 4 == 0 || i == e!.OpenOverTime.Count - 1)
            .Select(p => new[] { p.At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), p.Open.ToString(CultureInfo.InvariantCulture) });

    private static void AppendTable(StringBuilder html, IReadOnlyList<string> header, IEnumerable<string[]> rows, Func<string?, string> encode)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            html.Append("<p class=\"muted\">None recorded.</p>\n");
            return;
        }
        html.Append("<table><thead><tr>");
        foreach (var h in header)
            html.Append("<th>").Append(encode(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in list)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append("<td>").Append(encode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>\n");
    }

    // ---- Markdown -----------------------------------------------------------------------------------------------

    public static string Markdown(ReportData report)
    {
        var t = report.Timeline;
        var m = report.Metrics;
        var md = new StringBuilder();
        md.Append("# Incident report: ").Append(Md(t.Name)).Append(t.IsDrill ? " (drill)" : "").Append("\n\n");
        md.Append("Incident ").Append(t.IncidentId).Append(" · ").Append(Time(t.Start)).Append(" to ").Append(Time(t.End))
            .Append(t.IsLive ? " (still live)" : "").Append(" · generated ").Append(Time(report.GeneratedAt)).Append("\n\n");
        md.Append("## Key times\n\n");
        AppendMdTable(md, ["Measure", "Value"], KeyTimes(m).Select(k => new[] { k.Label, k.Value }));
        md.Append("## Volume and actions\n\n");
        // Markdown renderers that allow HTML show the chart; the others show the tables, which hold the same numbers.
        md.Append(Chart(report).ToSvg($"Posts per minute and operator actions, {t.Name}")).Append("\n\n");
        md.Append("## Rumours\n\n");
        AppendMdTable(md, RumourHeader, m.Rumours.Select(RumourRow));
        md.Append("## Alerts and deliveries\n\n");
        AppendMdTable(md, AlertHeader, m.Alerts.Select(AlertRow));
        md.Append("## Enquiries\n\n");
        AppendMdTable(md, ["Measure", "Value"], EnquiryFigures(report.Enquiries));
        AppendMdTable(md, EnquiryChannelHeader, EnquiryChannels(report.Enquiries));
        AppendMdTable(md, ["Time (UTC)", "Open enquiries"], OpenOverTime(report.Enquiries));
        md.Append("## Who did what\n\n");
        AppendMdTable(md, ["Person", "Action", "Times", "First", "Last"],
            m.WhoDidWhat.Select(a => new[] { a.Actor, a.Action, a.Count.ToString(CultureInfo.InvariantCulture), Time(a.First), Time(a.Last) }));
        md.Append("## Timeline of actions\n\n");
        foreach (var e in t.Events)
            md.Append("1. ").Append(Md(e.Describe())).Append('\n');
        return md.ToString();
    }

    private static void AppendMdTable(StringBuilder md, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            md.Append("None recorded.\n\n");
            return;
        }
        md.Append("| ").Append(string.Join(" | ", header.Select(Md))).Append(" |\n");
        md.Append('|').Append(string.Concat(header.Select(_ => " --- |"))).Append('\n');
        foreach (var row in list)
            md.Append("| ").Append(string.Join(" | ", row.Select(Md))).Append(" |\n");
        md.Append('\n');
    }

    /// <summary>Text as Markdown shows it literally: punctuation escaped, markup characters as entities, one line.</summary>
    internal static string Md(string? text)
    {
        var md = new StringBuilder();
        foreach (var c in text ?? "")
        {
            switch (c)
            {
                case '<': md.Append("&lt;"); break;
                case '>': md.Append("&gt;"); break;
                case '&': md.Append("&amp;"); break;
                case '\r' or '\n': md.Append(' '); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '#' or '!' or '(' or ')' or '{' or '}': md.Append('\\').Append(c); break;
                default: md.Append(c); break;
            }
        }
        return md.ToString();
    }

    // ---- Shared parts -------------------------------------------------------------------------------------------

    private static TimelineChart Chart(ReportData report) =>
        new(report.Timeline.Volume.Minutes, report.Timeline.Events, report.Timeline.Start, report.Timeline.End);

    private static IEnumerable<(string Label, string Value)> KeyTimes(IncidentMetrics m)
    {
        yield return ("Incident start", Time(m.IncidentStart));
        yield return ("First post", m.FirstPostAt is { } fp ? Time(fp) : "—");
        yield return ("First alert published", m.FirstAlertAt is { } fa ? Time(fa) : "—");
        yield return ("Incident start to first alert", ReviewMetrics.Format(m.StartToFirstAlert));
        foreach (var r in m.Rumours)
        {
            yield return ($"Rumour \"{r.Claim ?? r.RumourId}\": first post to flag", ReviewMetrics.Format(r.FirstPostToFlag));
            yield return ($"Rumour \"{r.Claim ?? r.RumourId}\": flag to approved rebuttal", ReviewMetrics.Format(r.FlagToApprovedRebuttal));
        }
    }

    private static readonly string[] RumourHeader =
        ["Rumour", "Status", "First post", "Flagged", "First post to flag", "Rebuttal approved", "Flag to approved rebuttal", "Rebuttal published",
         "Linked posts", "Before rebuttal", "After rebuttal", "Hour before", "Hour after"];

    private static string[] RumourRow(RumourMetrics r) =>
    [
        r.Claim ?? r.RumourId, r.Status, Time(r.FirstPostAt), Time(r.FlaggedAt), ReviewMetrics.Format(r.FirstPostToFlag),
        Time(r.RebuttalApprovedAt), ReviewMetrics.Format(r.FlagToApprovedRebuttal), Time(r.RebuttalPublishedAt),
        N(r.LinkedPosts), N(r.PostsBeforeRebuttal), N(r.PostsAfterRebuttal), N(r.PostsInHourBefore), N(r.PostsInHourAfter),
    ];

    private static readonly string[] AlertHeader = ["Alert", "Headline", "Status", "Drafted by", "Approved by", "Published", "Deliveries (channel: outcome, receipt)"];

    private static string[] AlertRow(AlertMetrics a) =>
    [
        a.Identifier ?? a.AlertId, a.Headline ?? "", a.Status, a.DraftedBy, a.ApprovedBy ?? "", Time(a.PublishedAt),
        a.Deliveries.Count == 0 ? "none" : string.Join("; ", a.Deliveries.Select(d => $"{d.Channel ?? "?"}: {d.Status}{(d.Receipt is { } receipt ? $", {receipt}" : "")}")),
    ];

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "—";

    // ---- Data exports -------------------------------------------------------------------------------------------

    /// <summary>Writes one table as CSV (RFC 4180) and returns the rows written (header excluded).</summary>
    public async Task<long> WriteCsvAsync(ReportData report, string table, TextWriter output, CancellationToken cancellationToken = default)
    {
        var final = report.Final;
        switch (table)
        {
            case "posts":
                await CsvLineAsync(output, PostColumns);
                return await StreamPostsAsync(report.Timeline.IncidentId, async row => await CsvLineAsync(output, row.Cells()), output, cancellationToken);
            case "actions":
                return await CsvRowsAsync(output, ["seq", "at", "actor", "action", "payload"],
                    report.Timeline.Events.Select(e => new[] { N(e.Seq), Iso(e.At), e.Actor, e.Action, e.Payload.GetRawText() }));
            case "stories":
                return await CsvRowsAsync(output, ["seq", "at", "actor", "action", "payload"],
                    report.Timeline.Events.Where(e => e.Noun == "story").Select(e => new[] { N(e.Seq), Iso(e.At), e.Actor, e.Action, e.Payload.GetRawText() }));
            case "rumours":
                return await CsvRowsAsync(output, ["rumour_id", "claim", "severity", "owner", "status", "created_at", "created_by", "post_ids", "story_ids",
                        "first_post_at", "flagged_at", "first_post_to_flag_s", "rebuttal_approved_at", "flag_to_approved_rebuttal_s", "rebuttal_published_at",
                        "posts_before_rebuttal", "posts_after_rebuttal", "posts_hour_before", "posts_hour_after"],
                    final.Rumours.Select(r =>
                    {
                        var m = report.Metrics.Rumours.First(x => x.RumourId == r.Id);
                        return new[]
                        {
                            r.Id, r.Claim ?? "", r.Severity ?? "", r.Owner ?? "", r.Status, Iso(r.CreatedAt), r.CreatedBy,
                            string.Join(' ', r.PostIds), string.Join(' ', r.StoryIds), Iso(m.FirstPostAt), Iso(m.FlaggedAt), Seconds(m.FirstPostToFlag),
                            Iso(m.RebuttalApprovedAt), Seconds(m.FlagToApprovedRebuttal), Iso(m.RebuttalPublishedAt),
                            N(m.PostsBeforeRebuttal), N(m.PostsAfterRebuttal), N(m.PostsInHourBefore), N(m.PostsInHourAfter),
                        };
                    }));
            case "rebuttals" or "alerts":
                return await CsvRowsAsync(output, ["id", "status", "rumour_id", "identifier", "msg_type", "headline", "drafted_at", "drafted_by", "approved_by", "approved_at", "published_at"],
                    (table == "alerts" ? final.Alerts : final.Rebuttals).Select(d => new[]
                    {
                        d.Id, d.Status, d.RumourId ?? "", d.Identifier ?? "", d.MsgType ?? "", d.Headline ?? "", Iso(d.DraftedAt), d.DraftedBy,
                        d.ApprovedBy ?? "", Iso(d.ApprovedAt), Iso(d.PublishedAt),
                    }));
            case "deliveries":
                return await CsvRowsAsync(output, ["delivery_id", "alert_id", "channel", "status", "receipt", "at", "attempts"],
                    final.Deliveries.Select(d => new[] { d.Id, d.AlertId ?? "", d.Channel ?? "", d.Status, d.Receipt ?? "", Iso(d.At), N(d.Attempts) }));
            default:
                throw new ArgumentException($"There is no table '{table}': choose one of {string.Join(", ", CsvTables)}.", nameof(table));
        }
    }

    /// <summary>Writes everything as one JSON document, posts last and one per line; returns the rows written.</summary>
    public async Task<long> WriteJsonAsync(ReportData report, TextWriter output, CancellationToken cancellationToken = default)
    {
        var t = report.Timeline;
        var final = report.Final;
        await output.WriteAsync("{\"incident\":");
        await output.WriteAsync(JsonSerializer.Serialize(new { id = t.IncidentId, name = t.Name, isDrill = t.IsDrill, isLive = t.IsLive, start = t.Start, end = t.End, generatedAt = report.GeneratedAt }, Json));
        await output.WriteAsync(",\n\"metrics\":");
        await output.WriteAsync(JsonSerializer.Serialize(report.Metrics, Json));
        await output.WriteAsync(",\n\"actions\":[");
        var first = true;
        foreach (var e in t.Events)
        {
            await output.WriteAsync(first ? "\n" : ",\n");
            first = false;
            await output.WriteAsync(JsonSerializer.Serialize(new { e.Seq, e.At, e.Actor, e.Action, payload = e.Payload }, Json));
        }
        await output.WriteAsync("],\n\"stories\":");
        await output.WriteAsync(JsonSerializer.Serialize(t.Events.Where(e => e.Noun == "story").Select(e => new { e.Seq, e.At, e.Actor, e.Action, payload = e.Payload }), Json));
        await output.WriteAsync(",\n\"rumours\":");
        await output.WriteAsync(JsonSerializer.Serialize(final.Rumours, Json));
        await output.WriteAsync(",\n\"rebuttals\":");
        await output.WriteAsync(JsonSerializer.Serialize(final.Rebuttals, Json));
        await output.WriteAsync(",\n\"alerts\":");
        await output.WriteAsync(JsonSerializer.Serialize(final.Alerts, Json));
        await output.WriteAsync(",\n\"deliveries\":");
        await output.WriteAsync(JsonSerializer.Serialize(final.Deliveries, Json));
        await output.WriteAsync(",\n\"posts\":[");
        first = true;
        var posts = await StreamPostsAsync(t.IncidentId, async row =>
        {
            await output.WriteAsync(first ? "\n" : ",\n");
            first = false;
            await output.WriteAsync(JsonSerializer.Serialize(row, Json));
        }, output, cancellationToken);
        await output.WriteAsync("]}\n");
        return posts + t.Events.Count;
    }

    private static readonly string[] PostColumns =
        ["id", "platform", "external_id", "created_at", "received_at", "author_handle", "author_name", "text", "url", "lang", "has_media", "erased",
         "edited_at", "deleted_at"];

    /// <summary>
    /// A post as exported; after retention its text and author are empty and <see cref="Erased"/> says why. An edited
    /// post's text is its latest version (<see cref="EditedAt"/>: when the author made it); a post its author deleted
    /// keeps its text and has <see cref="DeletedAt"/> (when CrisisDesk learnt of it).
    /// </summary>
    public sealed record ExportedPost(long Id, string Platform, string ExternalId, DateTimeOffset CreatedAt, DateTimeOffset ReceivedAt,
        string? AuthorHandle, string? AuthorName, string Text, string? Url, string? Lang, bool HasMedia, bool Erased,
        DateTimeOffset? EditedAt, DateTimeOffset? DeletedAt)
    {
        public string[] Cells() =>
        [
            N(Id), Platform, ExternalId, Iso(CreatedAt), Iso(ReceivedAt), AuthorHandle ?? "", AuthorName ?? "", Text, Url ?? "", Lang ?? "",
            HasMedia ? "true" : "false", Erased ? "true" : "false", Iso(EditedAt), Iso(DeletedAt),
        ];

        private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private async Task<long> StreamPostsAsync(int incidentId, Func<ExportedPost, Task> write, TextWriter output, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT id, platform, external_id, created_at, received_at, author_handle, author_name, text, url, lang, has_media, erased_at IS NOT NULL,
                   edited_at, deleted_at
              FROM posts WHERE incident_id = $1 ORDER BY received_at, id
            """, connection) { Parameters = { new() { Value = incidentId } } };
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            await write(new ExportedPost(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetBoolean(10), reader.GetBoolean(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13)));
            // Flush as it goes, so the reader sees progress and the server holds no more than a batch.
            if (++rows % 1000 == 0)
                await output.FlushAsync(cancellationToken);
        }
        return rows;
    }

    private static async Task<long> CsvRowsAsync(TextWriter output, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        await CsvLineAsync(output, header);
        long count = 0;
        foreach (var row in rows)
        {
            await CsvLineAsync(output, row);
            count++;
        }
        return count;
    }

    private static Task CsvLineAsync(TextWriter output, IReadOnlyList<string> cells)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
                line.Append(',');
            line.Append(CsvCell.Format(cells[i]));
        }
        line.Append("\r\n");
        return output.WriteAsync(line.ToString());
    }

    private static string Iso(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : "";

    private static string Seconds(TimeSpan? duration) => duration is { } d ? d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) : "";
}

/// <summary>One CSV cell as a spreadsheet will read it safely.</summary>
public static class CsvCell
{
    /// <summary>
    /// Quoted when it must be; a cell a spreadsheet would read as a formula (a leading = + - @, or a tab or carriage
    /// return before one, which spreadsheets trim) gets a leading apostrophe so it shows the text. Plain numbers stay numbers.
    /// </summary>
    public static string Format(string cell)
    {
        if (cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            cell = "'" + cell;
        return cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }
}
