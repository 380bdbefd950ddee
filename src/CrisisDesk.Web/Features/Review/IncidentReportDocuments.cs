using System.Globalization;
using System.Net;
using System.Text;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Enquiries;
using CrisisDesk.Web.Features.Replies;

namespace CrisisDesk.Web.Features.Review;

/// <summary>An incident's report as HTML or Markdown, charts as inline SVG drawn here; every text encoded.</summary>
public static class IncidentReportDocuments
{
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
}
