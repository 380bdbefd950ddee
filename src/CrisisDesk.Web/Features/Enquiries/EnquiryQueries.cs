using CrisisDesk.Data.Domain;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>An enquiry with the post it is about and its latest reply, as the inbox shows it.</summary>
public sealed record EnquiryView(int Id, int IncidentId, long PostId, string Reason, string Status, string? AssignedTo, DateTime? AssignedAt,
    string OpenedBy, DateTime OpenedAt, DateTime? FirstAnsweredAt, DateTime? ClosedAt, string Platform, string? AuthorHandle, string? AuthorName,
    string Text, string? Url, DateTime PostCreatedAt, string? ReplyState, string? ReplyDeliveryStatus, string? ReplyReceipt)
{
    /// <summary>How long the resident has waited (until the first answer, or until now).</summary>
    public TimeSpan Waited(DateTimeOffset now) => (FirstAnsweredAt ?? ClosedAt ?? now.UtcDateTime) - OpenedAt;
}

/// <summary>One enquiry's times and platform, what the metrics are computed from.</summary>
public sealed record EnquiryTimes(string Platform, string Status, DateTime OpenedAt, DateTime? FirstAnsweredAt, DateTime? ClosedAt);

/// <summary>Answered share of one platform's enquiries.</summary>
public sealed record ChannelShare(string Platform, int Total, int Answered)
{
    public double Share => Total == 0 ? 0 : (double)Answered / Total;
}

/// <summary>Open enquiries at one moment.</summary>
public sealed record OpenPoint(DateTime At, int Open);

/// <summary>The inbox's figures: who waits and for how long, and how well each channel is answered.</summary>
public sealed record EnquiryMetrics(int Total, int Open, int Overdue, int Answered, TimeSpan? MedianFirstAnswer, TimeSpan? MeanFirstAnswer,
    IReadOnlyList<ChannelShare> PerChannel, IReadOnlyList<OpenPoint> OpenOverTime)
{
    /// <summary>
    /// The figures from the enquiries' times: time to first answer over those answered; open at each of
    /// <paramref name="points"/> moments from the first enquiry to <paramref name="now"/>; the answered share per platform.
    /// </summary>
    public static EnquiryMetrics Compute(IReadOnlyList<EnquiryTimes> enquiries, DateTime now, TimeSpan sla, int points = 24)
    {
        var waits = enquiries.Where(e => e.FirstAnsweredAt is not null).Select(e => e.FirstAnsweredAt!.Value - e.OpenedAt).Order().ToList();
        TimeSpan? median = waits.Count == 0 ? null
            : waits.Count % 2 == 1 ? waits[waits.Count / 2] : (waits[waits.Count / 2 - 1] + waits[waits.Count / 2]) / 2;
        TimeSpan? mean = waits.Count == 0 ? null : TimeSpan.FromTicks((long)waits.Average(w => w.Ticks));
        var open = enquiries.Where(e => e.Status == "open").ToList();
        var perChannel = enquiries.GroupBy(e => e.Platform, StringComparer.Ordinal)
            .Select(g => new ChannelShare(g.Key, g.Count(), g.Count(e => e.Status == "answered")))
            .OrderByDescending(c => c.Total).ThenBy(c => c.Platform, StringComparer.Ordinal).ToList();
        var series = new List<OpenPoint>();
        if (enquiries.Count > 0 && points > 1)
        {
            var start = enquiries.Min(e => e.OpenedAt);
            var step = (now - start) / (points - 1);
            for (var i = 0; i < points; i++)
            {
                var at = i == points - 1 ? now : start + step * i;
                series.Add(new OpenPoint(at, enquiries.Count(e => e.OpenedAt <= at && (e.ClosedAt is null || e.ClosedAt > at))));
            }
        }
        return new EnquiryMetrics(enquiries.Count, open.Count, open.Count(e => now - e.OpenedAt > sla),
            enquiries.Count(e => e.Status == "answered"), median, mean, perChannel, series);
    }
}

/// <summary>The enquiries inbox's reads.</summary>
public sealed class EnquiryQueries(IDbContextFactory<CrisisDeskDbContext> contexts)
{
    /// <summary>The roles an enquiry can be given to.</summary>
    private static readonly string[] AssignableRoles = ["Operator", "Approver", "Admin"];

    /// <summary>The incident's enquiries: open ones first (oldest first, the longest wait on top), then the closed, newest first.</summary>
    public async Task<IReadOnlyList<EnquiryView>> ListAsync(int incidentId, bool includeClosed, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Each enquiry's latest reply (a LATERAL join) and that reply's outbox row (at most one per reply).
        return await (from e in db.Enquiries.AsNoTracking()
                      join p in db.PostReferences on e.PostId equals p.Id
                      where e.IncidentId == incidentId && (includeClosed || e.Status == "open")
                      from r in db.Replies.AsNoTracking().Where(r => r.PostId == e.PostId).OrderByDescending(r => r.Id).Take(1).DefaultIfEmpty()
                      from d in db.Deliveries.AsNoTracking().Where(d => d.ReplyId == r.Id).DefaultIfEmpty()
                      orderby e.Status != "open", e.Status == "open" ? e.OpenedAt : (DateTime?)null, e.OpenedAt descending
                      select new EnquiryView(e.Id, e.IncidentId, e.PostId, e.Reason, e.Status, e.AssignedTo, e.AssignedAt, e.OpenedBy, e.OpenedAt,
                          e.FirstAnsweredAt, e.ClosedAt, p.Platform, p.AuthorHandle, p.AuthorName, p.Text.Substring(0, 1000), p.Url, p.CreatedAt,
                          r == null ? null : r.State, d == null ? null : d.Status, d == null ? null : d.Receipt))
            .Take(500).ToListAsync(cancellationToken);
    }

    public async Task<EnquiryView?> ForPostAsync(long postId, CancellationToken cancellationToken = default)
    {
        int? incidentId;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            incidentId = await db.Enquiries.AsNoTracking().Where(e => e.PostId == postId).Select(e => (int?)e.IncidentId).FirstOrDefaultAsync(cancellationToken);
        }
        return incidentId is null ? null : (await ListAsync(incidentId.Value, includeClosed: true, cancellationToken)).FirstOrDefault(e => e.PostId == postId);
    }

    public async Task<EnquiryMetrics> MetricsAsync(int incidentId, DateTime now, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sla = await SlaMinutesAsync(db, cancellationToken);
        var rows = await (from e in db.Enquiries.AsNoTracking()
                          join p in db.PostReferences on e.PostId equals p.Id
                          where e.IncidentId == incidentId
                          select new EnquiryTimes(p.Platform, e.Status, e.OpenedAt, e.FirstAnsweredAt, e.ClosedAt)).ToListAsync(cancellationToken);
        return EnquiryMetrics.Compute(rows, now, TimeSpan.FromMinutes(sla));
    }

    public async Task<int> SlaMinutesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await SlaMinutesAsync(db, cancellationToken);
    }

    private static Task<int> SlaMinutesAsync(CrisisDeskDbContext db, CancellationToken cancellationToken) =>
        db.EnquiryRules.AsNoTracking().Select(r => r.SlaMinutes).SingleAsync(cancellationToken); // one row, made by its migration

    /// <summary>The people an enquiry can be given to.</summary>
    public async Task<IReadOnlyList<string>> OperatorsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => !u.Disabled && AssignableRoles.Contains(u.Role))
            .OrderBy(u => u.UserName.ToLower())
            .Select(u => u.UserName).ToListAsync(cancellationToken);
    }
}
