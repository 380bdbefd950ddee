using CrisisDesk.Core.Review;

namespace CrisisDesk.UnitTests.Review;

public sealed class IncidentStateFolderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);
    private long _seq;

    private ReviewEvent E(int minute, string actor, string action, string payload) =>
        ReviewEvent.Parse(++_seq, T0.AddMinutes(minute), actor, action, 1, payload);

    private List<ReviewEvent> Drill() =>
    [
        E(0, "system", "incident.opened", """{"name":"Drill"}"""),
        E(3, "ann", "post.flagged", """{"postId":11}"""),
        E(5, "ann", "rumour.created", """{"rumourId":"r1","claim":"Bridge collapsed","severity":"high","owner":"ann","postIds":[11,12],"storyIds":[4]}"""),
        E(6, "ann", "rumour.post-linked", """{"rumourId":"r1","postIds":[13]}"""),
        E(8, "ann", "rebuttal.drafted", """{"rebuttalId":"b1","rumourId":"r1","channel":"x"}"""),
        E(9, "ann", "rebuttal.submitted", """{"rebuttalId":"b1"}"""),
        E(12, "bob", "rebuttal.approved", """{"rebuttalId":"b1"}"""),
        E(13, "bob", "rebuttal.published", """{"rebuttalId":"b1"}"""),
        E(14, "ann", "rumour.status-changed", """{"rumourId":"r1","from":"open","to":"debunked"}"""),
        E(20, "ann", "alert.drafted", """{"alertId":"a1","identifier":"urn:1","msgType":"Alert","status":"Actual","headline":"Stay away from the bridge"}"""),
        E(22, "bob", "alert.approved", """{"alertId":"a1"}"""),
        E(23, "bob", "alert.published", """{"alertId":"a1"}"""),
        E(24, "system", "delivery.failed", """{"deliveryId":"d1","alertId":"a1","channel":"webhook"}"""),
        E(25, "system", "delivery.succeeded", """{"deliveryId":"d1","alertId":"a1","channel":"webhook","receipt":"msg-77"}"""),
        E(26, "carl", "map.annotated", """{"note":"road closed","area":{"lat":1}}"""),
    ];

    [Fact]
    public void The_state_at_a_moment_holds_only_what_had_happened_by_then()
    {
        var events = Drill();

        var beforeRumour = IncidentStateFolder.Fold(events, T0.AddMinutes(4));
        var atApproval = IncidentStateFolder.Fold(events, T0.AddMinutes(12));
        var end = IncidentStateFolder.Fold(events, T0.AddMinutes(30));

        Assert.Empty(beforeRumour.Rumours);
        Assert.Equal(T0.AddMinutes(3), beforeRumour.FlaggedPosts[11]);
        var rumour = Assert.Single(atApproval.Rumours);
        Assert.Equal(("Bridge collapsed", "open", "ann"), (rumour.Claim, rumour.Status, rumour.Owner));
        Assert.Equal([11L, 12L, 13L], rumour.PostIds);
        Assert.Equal(("approved", "bob"), (atApproval.Rebuttals[0].Status, atApproval.Rebuttals[0].ApprovedBy));
        Assert.Empty(atApproval.Alerts);
        Assert.Equal("debunked", end.Rumours[0].Status);
        Assert.Equal(("published", "Stay away from the bridge", "urn:1"), (end.Alerts[0].Status, end.Alerts[0].Headline, end.Alerts[0].Identifier));
        Assert.Equal(("succeeded", "msg-77", 2), (end.Deliveries[0].Status, end.Deliveries[0].Receipt, end.Deliveries[0].Attempts));
        Assert.Equal(events.Count, end.Actions.Count);
    }

    [Fact]
    public void Events_of_unknown_types_are_kept_and_described_generically()
    {
        var events = Drill();
        var unknown = events[^1];

        Assert.Equal("2026-03-14 09:26:00 UTC · carl · map.annotated · note: road closed, area: {…}", unknown.Describe());
        Assert.Contains(unknown, IncidentStateFolder.Fold(events, DateTimeOffset.MaxValue).Actions, new SeqComparer());
    }

    [Fact]
    public void Metrics_give_time_to_flag_to_approved_rebuttal_to_first_alert_and_spread_around_the_rebuttal()
    {
        var events = Drill();
        var arrivals = new Dictionary<long, DateTimeOffset> { [11] = T0.AddMinutes(1), [12] = T0.AddMinutes(2), [13] = T0.AddMinutes(20) };

        var metrics = ReviewMetrics.Compute(events, T0, T0.AddSeconds(30), arrivals);

        var rumour = Assert.Single(metrics.Rumours);
        Assert.Equal(TimeSpan.FromMinutes(2), rumour.FirstPostToFlag); // first post at 1, first flag at 3
        Assert.Equal(TimeSpan.FromMinutes(9), rumour.FlagToApprovedRebuttal); // flag 3, approved 12
        Assert.Equal((2, 1, 2, 1), (rumour.PostsBeforeRebuttal, rumour.PostsAfterRebuttal, rumour.PostsInHourBefore, rumour.PostsInHourAfter));
        Assert.Equal(TimeSpan.FromMinutes(23), metrics.StartToFirstAlert);
        Assert.Equal("msg-77", Assert.Single(metrics.Alerts[0].Deliveries).Receipt);
        Assert.Contains(metrics.WhoDidWhat, a => a is { Actor: "bob", Action: "rebuttal.approved", Count: 1 });
        Assert.Equal("9 min 00 s", ReviewMetrics.Format(rumour.FlagToApprovedRebuttal));
    }

    [Fact]
    public void The_report_chart_encodes_text_and_places_actions_on_the_lane()
    {
        var events = new List<ReviewEvent> { E(30, "<script>", "rumour.created", """{"rumourId":"r","claim":"<img src=x>"}""") };
        var minutes = Enumerable.Range(0, 60).Select(m => new VolumeMinute(T0.AddMinutes(m), m)).ToList();

        var chart = new TimelineChart(minutes, events, T0, T0.AddMinutes(60));
        var svg = chart.ToSvg("Volume & <actions>");

        Assert.Equal(TimelineChart.Width / 2, Assert.Single(chart.Markers).X, 3);
        Assert.Equal(59, chart.MaxCount);
        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", svg, StringComparison.Ordinal);
        Assert.Contains("Volume &amp; &lt;actions&gt;", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void The_histogram_counts_posts_before_a_minute_by_running_totals()
    {
        var histogram = new VolumeHistogram([new(T0, 5), new(T0.AddMinutes(2), 7), new(T0.AddMinutes(5), 1)], T0.AddMinutes(5));

        Assert.Equal(0, histogram.CountBefore(T0));
        Assert.Equal(5, histogram.CountBefore(T0.AddMinutes(1)));
        Assert.Equal(12, histogram.CountBefore(T0.AddMinutes(5)));
        Assert.Equal(12, histogram.Total); // the minute at CoveredUntil is left to a live count
    }

    private sealed class SeqComparer : IEqualityComparer<ReviewEvent>
    {
        public bool Equals(ReviewEvent? x, ReviewEvent? y) => x?.Seq == y?.Seq;

        public int GetHashCode(ReviewEvent obj) => obj.Seq.GetHashCode();
    }
}
