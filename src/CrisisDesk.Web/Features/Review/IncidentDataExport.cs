using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary>
/// An incident's data as CSV (one table per file) or JSON (all of it), streamed row by row so that an incident of a
/// million posts exports in constant memory.
/// </summary>
public sealed class IncidentDataExport(NpgsqlDataSource dataSource)
{
    /// <summary>The tables a CSV export can hold, one per file.</summary>
    public static IReadOnlyList<string> CsvTables { get; } = ["posts", "actions", "rumours", "rebuttals", "alerts", "deliveries", "stories"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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
        // hot path: posts at volume (every post of the incident, streamed), Npgsql by the rule in CrisisDeskDbContext's remarks.
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

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
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
