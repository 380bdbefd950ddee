using System.Text.Json;
using System.Text.Json.Nodes;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Audit;
using CrisisDesk.Web.Features.Review;

namespace CrisisDesk.UnitTests.Review;

/// <summary>
/// The event contract against its readers: every action any command can write (writers can only append a payload of
/// the contract, whose base type cannot be derived from outside Core) has a fold rule, folds as that rule says, reads
/// in the audit view and shows in the reports.
/// </summary>
public sealed class EventContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 24, 9, 0, 0, TimeSpan.Zero);
    private const int RumourId = 7, RebuttalId = 3, AlertId = 5;
    private const long DeliveryId = 11, PostId = 101, StoryId = 202, OtherPostId = 102;

    /// <summary>One payload of every type, with the ids above, as a command would write it.</summary>
    private static readonly IReadOnlyList<EventPayload> Samples =
    [
        new AccountSignedIn("10.0.0.1"),
        new AccountSignInFailed("ann", "wrong password", "10.0.0.1"),
        new AccountSignedOut(),
        new AccountSsoSignedIn("Contoso ID", "https://id.example.org/", "f00d", "Approver", "10.0.0.1"),
        new AccountSsoSignInRefused("Contoso ID", "https://id.example.org/", "f00d", "ann", "no mapped role", "10.0.0.1"),
        new UserSsoProvisioned("ann", "Operator", "https://id.example.org/", "f00d"),
        new AccountPasswordChanged(2),
        new UserCreated("bob", "Operator"),
        new UserRoleChanged("bob", "Operator", "Approver", 1),
        new UserDisabled("bob", 1),
        new UserEnabled("bob", 0),
        new FeedSubscriberCreated(4, "Regional news desk", [1, 2]),
        new FeedSubscriberRevoked(4, "Regional news desk"),
        new AuthorizationDenied("approve an alert they wrote", Rule: "two-person", AlertId: AlertId, Identifier: "urn:x:1"),
        new AuditVerified(true, 40, 40, "ab12", null, null, null, "cli"),
        new IncidentOpened("River Wey flooding", ["flood"], "Guildford"),
        new DrillStarted("Germanwings", 1, 600, 2),
        new SourceAdded(1, "rss", "BBC", JsonNode.Parse("""{"url":"https://example.org/feed"}"""), false),
        new SourceChanged(1, "rss", "BBC News", "BBC", JsonNode.Parse("""{"url":"https://example.org/feed"}"""), false, true),
        new SourceStarted(1, "rss", "BBC News"),
        new SourceStopped(1, "rss", "BBC News"),
        new SourceRemoved(1, "rss", "BBC News", false),
        new SourceReplayFileUploaded("drill.json", "drill.json", 1200, "x.v1.tweet", "00ff"),
        new PostFlagged(PostId),
        new PostReviewed(PostId),
        new RumourCreated(RumourId, "The bridge collapsed", "High", "ann", ["bridge"], [PostId], []),
        new RumourUpdated(RumourId, "The old bridge collapsed", "Critical", "bob", 2),
        new RumourStatusChanged(RumourId, "New", "Investigating", "checking", 3),
        new RumourPostLinked(RumourId, OtherPostId, null),
        new RumourStoryLinked(RumourId, null, StoryId),
        new RumourSuggestionConfirmed(RumourId, 9, StoryId + 1, OtherPostId + 1, 0.8, "shared words"),
        new RumourSuggestionRejected(RumourId, 10, StoryId + 2, OtherPostId + 2, 0.4, "shared words"),
        new RebuttalTemplateSaved(1, "Standard denial"),
        new RebuttalDrafted(RebuttalId, RumourId, "The bridge stands", 1, new Dictionary<string, string> { ["X"] = "The bridge stands." }),
        new RebuttalRevised(RebuttalId, 2, "shorter", new Dictionary<string, string> { ["X"] = "It stands." }),
        new RebuttalSubmitted(RebuttalId, 2),
        new RebuttalApproved(RebuttalId, 2, "ann", null),
        new RebuttalRejected(RebuttalId, 2, "ann", "too long"),
        new RebuttalPublished(RebuttalId, 2, RumourId, ["mastodon"], [DeliveryId + 1]),
        new AlertDrafted(AlertId, "urn:x:1", "Alert", "Actual", "Stay away from the bridge", null, []),
        new AlertRevised(AlertId, "urn:x:1", "Alert", "Actual", "Keep away from the bridge"),
        new AlertSubmitted(AlertId, "urn:x:1"),
        new AlertApproved(AlertId, "urn:x:1", "ann", null),
        new AlertRejected(AlertId, "urn:x:1", "ann", "wrong area"),
        new AlertPublished(AlertId, "urn:x:1", "Alert", "Actual", "2026-03-24T09:30:00-00:00", "Keep away from the bridge", [], ["cap-feed"], [DeliveryId]),
        new DeliverySucceeded(DeliveryId, "cap-feed", "entry-1", AlertId, "urn:x:1", null, 1),
        new DeliveryFailed(DeliveryId, "cap-feed", "timeout", false, 2, AlertId, null),
        new DeliveryRetried(DeliveryId, "cap-feed"),
        new DeliveryAbandoned(DeliveryId, "cap-feed"),
        new OrgAccountSaved(1, "x", "@riversidecc", "https://api.x.com/", "X:Riverside"),
        new OrgAccountRemoved(1, "x", "@riversidecc"),
        new ReplyRuleChanged("x", "Operator", true),
        new EnquiryRuleChanged(true, ["when", "where"], 30),
        new ReplyDrafted(4, PostId, "x", "The bridge is open.", true, 2, RebuttalId),
        new ReplyApproved(4, "bob", null),
        new ReplyRejected(4, "bob", "tone"),
        new ReplySent(4, PostId, "x", DeliveryId + 2, 2),
        new EnquiryOpened(2, PostId, "mention"),
        new EnquiryAssigned(2, "ann", null),
        new EnquiryStatusChanged(2, "open", "answered"),
        new NotificationSettingsChanged(true, false, "22:00-07:00 Europe/London", ["approval: in-app, email", "rumour: in-app (High and above)"]),
        new NotificationRead([12, 13]),
        new NotificationAcknowledged(12, "approval"),
        new NotificationEscalated("approval", "Alert waiting for your approval: Flood", "bob", 1, 14),
        new EscalationRotaSet(["bob", "carol"]),
        new RecipientListCreated(3, "Residents by the river", "email"),
        new RecipientListRenamed(3, "Residents by the river", "Riverside residents"),
        new RecipientListDeleted(3, "Riverside residents", "email", 120),
        new RecipientListMembersChanged(3, "csv", 118, 0, 2),
        new ReportExported("csv", "posts", 10, true),
        new RetentionApplied(30, T0, PostsErased: 5, FirstPostId: 1, LastPostId: 5),
    ];

    private static ReviewEvent Written(long seq, int minute, EventPayload payload) =>
        ReviewEvent.Parse(seq, T0.AddMinutes(minute), "ann", EventContract.ActionOf(payload), 1, EventContract.Serialize(payload));

    /// <summary>A rumour, a rebuttal, an alert and a delivery for the sample to act on, then the sample itself.</summary>
    private static List<ReviewEvent> AfterSetup(EventPayload sample) =>
    [
        Written(1, 0, new RumourCreated(RumourId, "The bridge collapsed", "High", "ann", [], [PostId], [])),
        Written(2, 1, new RebuttalDrafted(RebuttalId, RumourId, "The bridge stands", 1, new Dictionary<string, string>())),
        Written(3, 2, new AlertDrafted(AlertId, "urn:x:1", "Alert", "Actual", "Stay away", null, [])),
        Written(4, 3, new DeliverySucceeded(DeliveryId, "cap-feed", "entry-0", AlertId, "urn:x:1", null, 1)),
        Written(5, 10, sample),
    ];

    [Fact]
    public void Every_payload_type_is_in_the_contract_and_has_a_sample_here()
    {
        var declared = typeof(EventPayload).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(EventPayload)) && !t.IsAbstract).ToHashSet();
        var inContract = EventContract.All.Select(k => k.PayloadType).ToHashSet();

        Assert.Equal(declared.OrderBy(t => t.Name), inContract.OrderBy(t => t.Name));
        Assert.Equal(EventContract.All.Count, EventContract.All.Select(k => k.Action).Distinct().Count());
        Assert.Equal(inContract.OrderBy(t => t.Name), Samples.Select(s => s.GetType()).Distinct().OrderBy(t => t.Name));
    }

    [Fact]
    public void Every_payload_reads_back_as_its_type()
    {
        foreach (var sample in Samples)
        {
            var written = Written(1, 0, sample);
            var read = EventContract.TryDeserialize(written.Action, written.Payload);
            Assert.NotNull(read);
            Assert.Equal(EventContract.Serialize(sample), EventContract.Serialize(read!));
        }
    }

    [Fact]
    public void Every_action_of_the_contract_has_a_fold_rule_a_label_and_a_sentence()
    {
        foreach (var kind in EventContract.All)
        {
            Assert.True(IncidentStateFolder.DeclaredRules.ContainsKey(kind.Action), $"IncidentStateFolder has no rule for {kind.Action}");
            Assert.True(EventLabels.HasLabel(kind.Action), $"EventLabels has no label for {kind.Action}");
        }
        foreach (var sample in Samples)
            Assert.StartsWith("ann ", EventLabels.Sentence(Written(1, 0, sample)), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_action_folds_as_its_rule_says()
    {
        foreach (var sample in Samples)
        {
            var action = EventContract.ActionOf(sample);
            var events = AfterSetup(sample);
            var before = IncidentStateFolder.Fold(events, T0.AddMinutes(5));
            var after = IncidentStateFolder.Fold(events, T0.AddMinutes(10));
            var e = events[^1];
            Assert.Contains(e, after.Actions);
            var rumour = after.Rumours.Single(r => r.Id == RumourId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            switch (IncidentStateFolder.DeclaredRules[action])
            {
                case FoldRule.PostFlag:
                    Assert.Equal(T0.AddMinutes(10), after.FlaggedPosts[PostId]);
                    break;
                case FoldRule.RumourCreate:
                    Assert.Equal("The bridge collapsed", rumour.Claim);
                    break;
                case FoldRule.RumourEdit:
                    Assert.Equal(("The old bridge collapsed", "Critical", "bob"), (rumour.Claim, rumour.Severity, rumour.Owner));
                    break;
                case FoldRule.RumourStatus:
                    Assert.Equal(("Investigating", T0.AddMinutes(10)), (rumour.Status, rumour.StatusChangedAt));
                    break;
                case FoldRule.RumourLinks:
                    var named = new[] { e.Text("postId"), e.Text("storyId") };
                    Assert.True(named.Any(n => n is not null), $"{action} names nothing to link");
                    if (e.Text("postId") is { } post)
                        Assert.Contains(long.Parse(post, System.Globalization.CultureInfo.InvariantCulture), rumour.PostIds);
                    if (e.Text("storyId") is { } story)
                        Assert.Contains(long.Parse(story, System.Globalization.CultureInfo.InvariantCulture), rumour.StoryIds);
                    break;
                case FoldRule.RumourMention:
                    Assert.Equivalent(before.Rumours.Single(), rumour, strict: true);
                    break;
                case FoldRule.RebuttalStep:
                    var rebuttal = Assert.Single(after.Rebuttals);
                    Assert.Equal((T0.AddMinutes(10), "ann"), (rebuttal.LastChangedAt, rebuttal.LastActor));
                    Assert.Equal(ExpectedStep(action), rebuttal.Status);
                    break;
                case FoldRule.AlertStep:
                    var alert = Assert.Single(after.Alerts);
                    Assert.Equal(T0.AddMinutes(10), alert.LastChangedAt);
                    Assert.Equal(ExpectedStep(action), alert.Status);
                    break;
                case FoldRule.DeliveryOutcome:
                    var delivery = Assert.Single(after.Deliveries);
                    Assert.Equal(T0.AddMinutes(10), delivery.At);
                    Assert.Equal(action.Split('.')[1] is "retried" ? "retrying" : action.Split('.')[1], delivery.Status);
                    break;
                case FoldRule.Recorded:
                    Assert.Equivalent(Without(before), Without(after));
                    break;
                default:
                    Assert.Fail($"{action}: no check for its rule");
                    break;
            }
        }
    }

    private static string ExpectedStep(string action) => action.Split('.')[1] switch
    {
        "submitted" => "awaiting approval",
        var verb => verb,
    };

    /// <summary>The folded state without the moment and the actions, to compare two folds.</summary>
    private static object Without(IncidentState s) => new { s.Rumours, s.Rebuttals, s.Alerts, s.Deliveries, Flagged = s.FlaggedPosts.OrderBy(p => p.Key).ToList() };

    [Fact]
    public void A_story_linked_to_a_rumour_stays_linked_in_the_replay_and_the_reports()
    {
        // RumourCommands.LinkAsync writes rumour.story-linked; the folder once ignored it, so the story vanished.
        List<ReviewEvent> events =
        [
            Written(1, 0, new RumourCreated(RumourId, "The bridge collapsed", "High", "ann", [], [PostId], [])),
            Written(2, 5, new RumourStoryLinked(RumourId, null, StoryId)),
            Written(3, 6, new RumourStoryLinked(RumourId, OtherPostId, StoryId + 1)),
        ];

        Assert.Empty(IncidentStateFolder.Fold(events, T0.AddMinutes(4)).Rumours.Single().StoryIds);
        var linked = IncidentStateFolder.Fold(events, T0.AddMinutes(6)).Rumours.Single();
        Assert.Equal([StoryId, StoryId + 1], linked.StoryIds);
        Assert.Equal([PostId, OtherPostId], linked.PostIds);

        var csv = RumoursCsv(events);
        Assert.Contains($",{PostId} {OtherPostId},{StoryId} {StoryId + 1},", csv, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reports_show_every_action_of_the_contract()
    {
        var events = Samples.Select((s, i) => Written(i + 1, i, s)).ToList();
        var report = Report(events);

        var html = IncidentReports.Html(report);
        var markdown = IncidentReports.Markdown(report);
        foreach (var kind in EventContract.All)
        {
            Assert.Contains(kind.Action, html, StringComparison.Ordinal);
            Assert.Contains(kind.Action.Replace("_", "\\_", StringComparison.Ordinal), markdown, StringComparison.Ordinal); // Markdown escapes _
        }
        Assert.Contains("The old bridge collapsed", html, StringComparison.Ordinal);
        Assert.Contains("Keep away from the bridge", html, StringComparison.Ordinal);
        Assert.Contains($"{StoryId} {StoryId + 1}", RumoursCsv(events), StringComparison.Ordinal);
    }

    private static ReportData Report(IReadOnlyList<ReviewEvent> events)
    {
        var timeline = new ReplayTimeline(1, "Bridge", false, false, T0, T0.AddHours(1), new VolumeHistogram([], T0.AddHours(1)), events);
        var final = IncidentStateFolder.Fold(events, DateTimeOffset.MaxValue);
        var metrics = ReviewMetrics.Compute(events, T0, null, new Dictionary<long, DateTimeOffset>());
        return new ReportData(timeline, metrics, final, T0.AddHours(2));
    }

    private static string RumoursCsv(IReadOnlyList<ReviewEvent> events)
    {
        // The rumours table is written from the folded state alone: no database is read for it.
        var reports = new IncidentReports(null!, null!, null!);
        using var output = new StringWriter();
        reports.WriteCsvAsync(Report(events), "rumours", output).GetAwaiter().GetResult();
        return output.ToString();
    }
}
