namespace CrisisDesk.Core.Review;

/// <summary>A rumour's key times and how far it spread before and after it was answered.</summary>
public sealed record RumourMetrics(
    string RumourId, string? Claim, string Status,
    DateTimeOffset? FirstPostAt, DateTimeOffset FlaggedAt, TimeSpan? FirstPostToFlag,
    DateTimeOffset? RebuttalApprovedAt, TimeSpan? FlagToApprovedRebuttal, DateTimeOffset? RebuttalPublishedAt,
    int LinkedPosts, int PostsBeforeRebuttal, int PostsAfterRebuttal, int PostsInHourBefore, int PostsInHourAfter);

/// <summary>An alert's outcome and the receipts of its deliveries.</summary>
public sealed record AlertMetrics(string AlertId, string? Identifier, string? Headline, string Status, string DraftedBy,
    string? ApprovedBy, DateTimeOffset? PublishedAt, IReadOnlyList<DeliveryState> Deliveries);

/// <summary>How many times one person took one action, and when first and last.</summary>
public sealed record ActorActivity(string Actor, string Action, int Count, DateTimeOffset First, DateTimeOffset Last);

/// <summary>The numbers a reviewer reports: time to detect, to rebut, to alert; spread; receipts; who did what.</summary>
public sealed record IncidentMetrics(
    DateTimeOffset IncidentStart, DateTimeOffset? FirstPostAt, DateTimeOffset? FirstAlertAt, TimeSpan? StartToFirstAlert,
    IReadOnlyList<RumourMetrics> Rumours, IReadOnlyList<AlertMetrics> Alerts, IReadOnlyList<ActorActivity> WhoDidWhat);

public static class ReviewMetrics
{
    /// <summary>
    /// Computes the metrics from the folded events and the arrival times (<c>received_at</c>: when the war room could
    /// first see them) of the posts linked to rumours. Times are measured from arrival, not from the platform's
    /// timestamp, because a reviewer asks how fast the room reacted to what it had.
    /// </summary>
    public static IncidentMetrics Compute(IReadOnlyList<ReviewEvent> events, DateTimeOffset incidentStart, DateTimeOffset? firstPostAt,
        IReadOnlyDictionary<long, DateTimeOffset> postArrivals)
    {
        var state = IncidentStateFolder.Fold(events, DateTimeOffset.MaxValue);

        var rumours = state.Rumours.Select(rumour =>
        {
            var arrivals = rumour.PostIds.Where(postArrivals.ContainsKey).Select(id => postArrivals[id]).OrderBy(t => t).ToList();
            DateTimeOffset? first = arrivals.Count > 0 ? arrivals[0] : null;
            // Flagged when it was created as a rumour, or earlier if one of its posts was flagged first.
            var flaggedAt = rumour.PostIds.Where(state.FlaggedPosts.ContainsKey).Select(id => state.FlaggedPosts[id])
                .Append(rumour.CreatedAt).Min();
            var rebuttals = state.Rebuttals.Where(r => r.RumourId == rumour.Id).ToList();
            var approvedAt = rebuttals.Where(r => r.ApprovedAt is not null).Select(r => r.ApprovedAt).Min();
            var publishedAt = rebuttals.Where(r => r.PublishedAt is not null).Select(r => r.PublishedAt).Min();
            // The public answer is its publication; an approved but unpublished rebuttal is the best there is.
            var answeredAt = publishedAt ?? approvedAt;
            var before = answeredAt is { } a ? arrivals.Count(t => t < a) : arrivals.Count;
            var hourBefore = answeredAt is { } b ? arrivals.Count(t => t < b && t >= b.AddHours(-1)) : 0;
            var hourAfter = answeredAt is { } c ? arrivals.Count(t => t >= c && t < c.AddHours(1)) : 0;
            return new RumourMetrics(rumour.Id, rumour.Claim, rumour.Status, first, flaggedAt,
                first is { } f ? flaggedAt - f : null,
                approvedAt, approvedAt is { } ap ? ap - flaggedAt : null, publishedAt,
                arrivals.Count, before, arrivals.Count - before, hourBefore, hourAfter);
        }).ToList();

        var alerts = state.Alerts.Select(alert => new AlertMetrics(alert.Id, alert.Identifier, alert.Headline, alert.Status, alert.DraftedBy,
            alert.ApprovedBy, alert.PublishedAt, state.Deliveries.Where(d => d.AlertId == alert.Id).ToList())).ToList();
        var firstAlert = alerts.Where(a => a.PublishedAt is not null).Select(a => a.PublishedAt).Min();

        var who = events.GroupBy(e => (e.Actor, e.Action))
            .Select(g => new ActorActivity(g.Key.Actor, g.Key.Action, g.Count(), g.Min(e => e.At), g.Max(e => e.At)))
            .OrderBy(a => a.Actor, StringComparer.Ordinal).ThenBy(a => a.First)
            .ToList();
        return new IncidentMetrics(incidentStart, firstPostAt, firstAlert, firstAlert is { } fa ? fa - incidentStart : null, rumours, alerts, who);
    }

    /// <summary>A duration as people read it: 42 s, 7 min 05 s, 3 h 12 min.</summary>
    public static string Format(TimeSpan? duration)
    {
        if (duration is not { } d)
            return "—";
        var sign = d < TimeSpan.Zero ? "−" : "";
        d = d.Duration();
        if (d.TotalSeconds < 60)
            return $"{sign}{d.TotalSeconds:0} s";
        if (d.TotalMinutes < 60)
            return $"{sign}{(int)d.TotalMinutes} min {d.Seconds:00} s";
        return $"{sign}{(int)d.TotalHours} h {d.Minutes:00} min";
    }
}
