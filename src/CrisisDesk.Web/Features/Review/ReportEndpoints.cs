using System.Text;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary>
/// <c>/api/review/incidents/{id}/report.html|.md</c> and <c>/data.json</c>, <c>/data.csv?table=…</c>: each export
/// streams, says in <c>X-Export-Rows</c> how many rows to expect (for progress), and is recorded as <c>report.exported</c>.
/// </summary>
internal static class ReportEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/incidents/{incidentId:int}/report.html", (int incidentId, HttpContext http, IncidentReports reports, NpgsqlDataSource dataSource) =>
            ReportAsync(incidentId, "html", "text/html; charset=utf-8", IncidentReportDocuments.Html, http, reports, dataSource));
        group.MapGet("/incidents/{incidentId:int}/report.md", (int incidentId, HttpContext http, IncidentReports reports, NpgsqlDataSource dataSource) =>
            ReportAsync(incidentId, "md", "text/markdown; charset=utf-8", IncidentReportDocuments.Markdown, http, reports, dataSource));
        group.MapGet("/incidents/{incidentId:int}/data.json", (int incidentId, HttpContext http, IncidentReports reports, IncidentDataExport export, NpgsqlDataSource dataSource) =>
            DataAsync(incidentId, "json", null, http, reports, export, dataSource));
        group.MapGet("/incidents/{incidentId:int}/data.csv", (int incidentId, string? table, HttpContext http, IncidentReports reports, IncidentDataExport export, NpgsqlDataSource dataSource) =>
            DataAsync(incidentId, "csv", table ?? "posts", http, reports, export, dataSource));
    }

    private static async Task<IResult> ReportAsync(int incidentId, string format, string contentType, Func<ReportData, string> render,
        HttpContext http, IncidentReports reports, NpgsqlDataSource dataSource)
    {
        var report = await reports.LoadAsync(incidentId, http.RequestAborted);
        if (report is null)
            return Results.NotFound();
        var body = render(report);
        await RecordAsync(dataSource, http, incidentId, format, null, report.Timeline.Events.Count, completed: true);
        // Everything in a report is encoded text and inline SVG: nothing in it may load or run anything.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
        Attachment(http, incidentId, $"report.{format}");
        return Results.Text(body, contentType, Encoding.UTF8);
    }

    private static async Task<IResult> DataAsync(int incidentId, string format, string? table, HttpContext http, IncidentReports reports, IncidentDataExport export,
        NpgsqlDataSource dataSource)
    {
        if (table is not null && !IncidentDataExport.CsvTables.Contains(table, StringComparer.Ordinal))
            return Results.Problem($"There is no table '{table}': choose one of {string.Join(", ", IncidentDataExport.CsvTables)}.", statusCode: StatusCodes.Status400BadRequest);
        var report = await reports.LoadAsync(incidentId, http.RequestAborted);
        if (report is null)
            return Results.NotFound();
        http.Response.Headers["X-Export-Rows"] = (await reports.ExpectedRowsAsync(incidentId, table, http.RequestAborted)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = format == "json" ? "application/json; charset=utf-8" : "text/csv; charset=utf-8";
        Attachment(http, incidentId, table is null ? $"data.{format}" : $"{table}.{format}");
        long rows = 0;
        var completed = false;
        try
        {
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), bufferSize: 64 * 1024);
            rows = format == "json"
                ? await export.WriteJsonAsync(report, writer, http.RequestAborted)
                : await export.WriteCsvAsync(report, table!, writer, http.RequestAborted);
            await writer.FlushAsync(http.RequestAborted);
            completed = true;
        }
        finally
        {
            // Recorded even when the reader gave up half way: a partial export still left the building.
            await RecordAsync(dataSource, http, incidentId, format, table, rows, completed);
        }
        return Results.Empty;
    }

    private static void Attachment(HttpContext http, int incidentId, string name) =>
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"incident-{incidentId}-{name}\"";

    private static Task RecordAsync(NpgsqlDataSource dataSource, HttpContext http, int incidentId, string format, string? table, long rows, bool completed) =>
        EventLog.AppendAsync(dataSource, http.User.ActorName(), incidentId, new ReportExported(format, table, rows, completed), CancellationToken.None);
}
