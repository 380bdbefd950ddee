using CrisisDesk.Core.Events;

namespace CrisisDesk.Core.Review;

/// <summary>How the folder treats one action.</summary>
public enum FoldRule
{
    /// <summary>Kept in the incident's actions only: it changes none of the folded state (sign-ins, sources, exports…).</summary>
    Recorded,

    /// <summary>Marks its post flagged.</summary>
    PostFlag,

    /// <summary>Creates a rumour with its claim, severity, owner and first links.</summary>
    RumourCreate,

    /// <summary>Changes a rumour's claim, severity or owner.</summary>
    RumourEdit,

    /// <summary>Moves a rumour to another status.</summary>
    RumourStatus,

    /// <summary>Adds posts and stories to a rumour's links.</summary>
    RumourLinks,

    /// <summary>About a rumour, but changes nothing of it (a rejected suggestion): the rumour still appears.</summary>
    RumourMention,

    /// <summary>A step of a rebuttal: drafted, revised, submitted, approved, rejected, published.</summary>
    RebuttalStep,

    /// <summary>A step of an alert: drafted, revised, submitted, approved, rejected, published.</summary>
    AlertStep,

    /// <summary>An outcome of a delivery: succeeded, failed, retried, abandoned.</summary>
    DeliveryOutcome,
}

/// <summary>
/// Folds the event log into the incident's state as of a moment. Every action of <see cref="EventContract"/> has a
/// declared rule (<see cref="DeclaredRules"/>; a test holds the two together, so an action added to the contract
/// without a rule fails). Actions outside the contract (written by another version) fall back to the naming
/// convention (<c>noun.verb-ed</c>) and are still kept as actions, so they show in replay and reports generically.
/// </summary>
public static class IncidentStateFolder
{
    /// <summary>The rule for each action of the contract.</summary>
    public static IReadOnlyDictionary<string, FoldRule> DeclaredRules { get; } = new Dictionary<string, FoldRule>(StringComparer.Ordinal)
    {
        [EventActions.AccountSignedIn] = FoldRule.Recorded,
        [EventActions.AccountSignInFailed] = FoldRule.Recorded,
        [EventActions.AccountSignedOut] = FoldRule.Recorded,
        [EventActions.AccountSsoSignedIn] = FoldRule.Recorded,
        [EventActions.AccountSsoSignInRefused] = FoldRule.Recorded,
        [EventActions.UserSsoProvisioned] = FoldRule.Recorded,
        [EventActions.AccountPasswordChanged] = FoldRule.Recorded,
        [EventActions.UserCreated] = FoldRule.Recorded,
        [EventActions.FeedSubscriberCreated] = FoldRule.Recorded,
        [EventActions.FeedSubscriberRevoked] = FoldRule.Recorded,
        [EventActions.UserRoleChanged] = FoldRule.Recorded,
        [EventActions.UserDisabled] = FoldRule.Recorded,
        [EventActions.UserEnabled] = FoldRule.Recorded,
        [EventActions.AuthorizationDenied] = FoldRule.Recorded,
        [EventActions.AuditVerified] = FoldRule.Recorded,
        [EventActions.IncidentOpened] = FoldRule.Recorded,
        [EventActions.DrillStarted] = FoldRule.Recorded,
        [EventActions.SourceAdded] = FoldRule.Recorded,
        [EventActions.SourceChanged] = FoldRule.Recorded,
        [EventActions.SourceStarted] = FoldRule.Recorded,
        [EventActions.SourceStopped] = FoldRule.Recorded,
        [EventActions.SourceRemoved] = FoldRule.Recorded,
        [EventActions.SourceReplayFileUploaded] = FoldRule.Recorded,
        [EventActions.PostFlagged] = FoldRule.PostFlag,
        [EventActions.PostReviewed] = FoldRule.Recorded,
        [EventActions.RumourCreated] = FoldRule.RumourCreate,
        [EventActions.RumourUpdated] = FoldRule.RumourEdit,
        [EventActions.RumourStatusChanged] = FoldRule.RumourStatus,
        [EventActions.RumourPostLinked] = FoldRule.RumourLinks,
        [EventActions.RumourStoryLinked] = FoldRule.RumourLinks,
        [EventActions.RumourSuggestionConfirmed] = FoldRule.RumourLinks,
        [EventActions.RumourSuggestionRejected] = FoldRule.RumourMention,
        [EventActions.RebuttalTemplateSaved] = FoldRule.Recorded,
        [EventActions.RebuttalDrafted] = FoldRule.RebuttalStep,
        [EventActions.RebuttalRevised] = FoldRule.RebuttalStep,
        [EventActions.RebuttalSubmitted] = FoldRule.RebuttalStep,
        [EventActions.RebuttalApproved] = FoldRule.RebuttalStep,
        [EventActions.RebuttalRejected] = FoldRule.RebuttalStep,
        [EventActions.RebuttalPublished] = FoldRule.RebuttalStep,
        [EventActions.AlertDrafted] = FoldRule.AlertStep,
        [EventActions.AlertRevised] = FoldRule.AlertStep,
        [EventActions.AlertSubmitted] = FoldRule.AlertStep,
        [EventActions.AlertApproved] = FoldRule.AlertStep,
        [EventActions.AlertRejected] = FoldRule.AlertStep,
        [EventActions.AlertPublished] = FoldRule.AlertStep,
        [EventActions.DeliverySucceeded] = FoldRule.DeliveryOutcome,
        [EventActions.DeliveryFailed] = FoldRule.DeliveryOutcome,
        [EventActions.DeliveryRetried] = FoldRule.DeliveryOutcome,
        [EventActions.DeliveryAbandoned] = FoldRule.DeliveryOutcome,
        [EventActions.OrgAccountSaved] = FoldRule.Recorded,
        [EventActions.OrgAccountRemoved] = FoldRule.Recorded,
        [EventActions.ReplyRuleChanged] = FoldRule.Recorded,
        [EventActions.EnquiryRuleChanged] = FoldRule.Recorded,
        [EventActions.ReplyDrafted] = FoldRule.Recorded,
        [EventActions.ReplyApproved] = FoldRule.Recorded,
        [EventActions.ReplyRejected] = FoldRule.Recorded,
        [EventActions.ReplySent] = FoldRule.Recorded,
        [EventActions.EnquiryOpened] = FoldRule.Recorded,
        [EventActions.EnquiryAssigned] = FoldRule.Recorded,
        [EventActions.EnquiryStatusChanged] = FoldRule.Recorded,
        [EventActions.NotificationSettingsChanged] = FoldRule.Recorded,
        [EventActions.NotificationRead] = FoldRule.Recorded,
        [EventActions.NotificationAcknowledged] = FoldRule.Recorded,
        [EventActions.NotificationEscalated] = FoldRule.Recorded,
        [EventActions.EscalationRotaSet] = FoldRule.Recorded,
        [EventActions.RecipientListCreated] = FoldRule.Recorded,
        [EventActions.RecipientListRenamed] = FoldRule.Recorded,
        [EventActions.RecipientListDeleted] = FoldRule.Recorded,
        [EventActions.RecipientListMembersChanged] = FoldRule.Recorded,
        [EventActions.ReportExported] = FoldRule.Recorded,
        [EventActions.RetentionApplied] = FoldRule.Recorded,
    };

    /// <summary>The rule for any action: the declared one, else by the noun of <c>noun.verb-ed</c>.</summary>
    public static FoldRule RuleFor(string action)
    {
        if (DeclaredRules.TryGetValue(action, out var rule))
            return rule;
        var noun = action.Split('.', 2)[0];
        var verb = action.Split('.', 2) is [_, var v] ? v : action;
        return noun switch
        {
            "post" when verb == "flagged" => FoldRule.PostFlag,
            "rumour" => verb switch
            {
                "created" => FoldRule.RumourCreate,
                "updated" => FoldRule.RumourEdit,
                "status-changed" => FoldRule.RumourStatus,
                _ => FoldRule.RumourMention,
            },
            "rebuttal" => FoldRule.RebuttalStep,
            "alert" => FoldRule.AlertStep,
            "delivery" => FoldRule.DeliveryOutcome,
            _ => FoldRule.Recorded,
        };
    }

    /// <summary>The state after every event at or before <paramref name="asOf"/>; <paramref name="events"/> in log order.</summary>
    public static IncidentState Fold(IEnumerable<ReviewEvent> events, DateTimeOffset asOf)
    {
        var rumours = new Dictionary<string, ReplayedRumour>(StringComparer.Ordinal);
        var rebuttals = new Dictionary<string, DraftState>(StringComparer.Ordinal);
        var alerts = new Dictionary<string, DraftState>(StringComparer.Ordinal);
        var deliveries = new Dictionary<string, DeliveryState>(StringComparer.Ordinal);
        var flagged = new Dictionary<long, DateTimeOffset>();
        var actions = new List<ReviewEvent>();

        foreach (var e in events)
        {
            if (e.At > asOf)
                continue;
            actions.Add(e);
            switch (RuleFor(e.Action))
            {
                case FoldRule.PostFlag:
                    foreach (var postId in PostIdsOf(e))
                        flagged.TryAdd(postId, e.At);
                    break;
                case FoldRule.RumourCreate or FoldRule.RumourEdit or FoldRule.RumourStatus or FoldRule.RumourLinks or FoldRule.RumourMention:
                    ApplyRumour(rumours, RuleFor(e.Action), e);
                    break;
                case FoldRule.RebuttalStep:
                    ApplyDraft(rebuttals, "rebuttal", e.Text("rebuttalId") ?? e.Text("id"), e);
                    break;
                case FoldRule.AlertStep:
                    ApplyDraft(alerts, "alert", e.Text("alertId") ?? e.Text("id"), e);
                    break;
                case FoldRule.DeliveryOutcome:
                    ApplyDelivery(deliveries, e);
                    break;
            }
        }

        return new IncidentState(asOf,
            rumours.Values.OrderBy(r => r.CreatedAt).ToList(),
            rebuttals.Values.OrderBy(r => r.DraftedAt).ToList(),
            alerts.Values.OrderBy(a => a.DraftedAt).ToList(),
            deliveries.Values.OrderBy(d => d.At).ToList(),
            flagged,
            actions);
    }

    private static IEnumerable<long> PostIdsOf(ReviewEvent e)
    {
        if (long.TryParse(e.Text("postId"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var single))
            yield return single;
        foreach (var id in e.Numbers("postIds"))
            yield return id;
    }

    private static IEnumerable<long> StoryIdsOf(ReviewEvent e)
    {
        if (long.TryParse(e.Text("storyId"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var single))
            yield return single;
        foreach (var id in e.Numbers("storyIds"))
            yield return id;
    }

    private static void ApplyRumour(Dictionary<string, ReplayedRumour> rumours, FoldRule rule, ReviewEvent e)
    {
        if (e.Text("rumourId") is not { } id)
            return;
        if (rule == FoldRule.RumourCreate || !rumours.ContainsKey(id))
        {
            // A rumour seen first through a later event (its creation predates the log) still appears.
            rumours[id] = new ReplayedRumour(id, e.Text("claim"), e.Text("severity"), e.Text("owner"), e.Text("status") ?? "open",
                e.At, e.Actor, null, PostIdsOf(e).Distinct().ToList(), StoryIdsOf(e).Distinct().ToList());
            if (rule == FoldRule.RumourCreate)
                return;
        }
        var rumour = rumours[id];
        rumours[id] = rule switch
        {
            FoldRule.RumourStatus => rumour with { Status = e.Text("to") ?? rumour.Status, StatusChangedAt = e.At },
            FoldRule.RumourEdit => rumour with
            {
                Claim = e.Text("claim") ?? rumour.Claim,
                Severity = e.Text("severity") ?? rumour.Severity,
                Owner = e.Text("owner") ?? rumour.Owner,
                Status = e.Text("status") ?? rumour.Status,
            },
            // Post links, story links (rumour.story-linked was once left out here, so linked stories vanished from
            // replay and reports) and confirmed suggestions all add what they name.
            FoldRule.RumourLinks => rumour with
            {
                PostIds = rumour.PostIds.Concat(PostIdsOf(e)).Distinct().ToList(),
                StoryIds = rumour.StoryIds.Concat(StoryIdsOf(e)).Distinct().ToList(),
            },
            _ => rumour,
        };
    }

    /// <summary>Rebuttals and alerts follow the same steps: drafted, revised, submitted, approved or rejected, published.</summary>
    private static void ApplyDraft(Dictionary<string, DraftState> drafts, string kind, string? id, ReviewEvent e)
    {
        if (id is null)
            return;
        if (!drafts.TryGetValue(id, out var draft))
            draft = new DraftState(kind, id, "drafted", null, null, null, null, e.At, e.Actor, e.At, e.Actor, null, null, null);
        var status = e.Verb switch
        {
            "drafted" => "drafted",
            "revised" => "revised",
            "submitted" => "awaiting approval",
            "approved" => "approved",
            "rejected" => "rejected",
            "published" => "published",
            "updated" => "updated",
            "cancelled" => "cancelled",
            var other => other,
        };
        drafts[id] = draft with
        {
            Status = status,
            RumourId = e.Text("rumourId") ?? draft.RumourId,
            Headline = e.Text("headline") ?? e.Text("title") ?? draft.Headline,
            Identifier = e.Text("identifier") ?? draft.Identifier,
            MsgType = e.Text("msgType") ?? draft.MsgType,
            LastChangedAt = e.At,
            LastActor = e.Actor,
            ApprovedBy = e.Verb == "approved" ? e.Actor : draft.ApprovedBy,
            ApprovedAt = e.Verb == "approved" ? draft.ApprovedAt ?? e.At : draft.ApprovedAt,
            PublishedAt = e.Verb == "published" ? draft.PublishedAt ?? e.At : draft.PublishedAt,
        };
    }

    private static void ApplyDelivery(Dictionary<string, DeliveryState> deliveries, ReviewEvent e)
    {
        var id = e.Text("deliveryId") ?? e.Text("id");
        if (id is null)
            return;
        deliveries.TryGetValue(id, out var delivery);
        var status = e.Verb switch
        {
            "retried" => "retrying",
            var other => other,
        };
        deliveries[id] = new DeliveryState(id,
            e.Text("alertId") ?? delivery?.AlertId,
            e.Text("channel") ?? delivery?.Channel,
            status,
            e.Text("receipt") ?? delivery?.Receipt,
            e.At,
            (delivery?.Attempts ?? 0) + (e.Verb is "succeeded" or "failed" ? 1 : 0));
    }
}
