namespace CrisisDesk.Core.Events;

/// <summary>
/// The name of every action the event log records (<c>noun.verb-ed</c>). These strings are stored in the log and
/// hashed into its chain: never rename one. Each has exactly one payload type in <see cref="EventContract"/>.
/// </summary>
public static class EventActions
{
    public const string AccountSignedIn = "account.signed-in";
    public const string AccountSignInFailed = "account.sign-in-failed";
    public const string AccountSignedOut = "account.signed-out";
    public const string AccountSsoSignedIn = "account.sso-signed-in";
    public const string AccountSsoSignInRefused = "account.sso-sign-in-refused";
    public const string UserSsoProvisioned = "user.sso-provisioned";
    public const string AccountPasswordChanged = "account.password-changed";
    public const string UserCreated = "user.created";
    public const string UserRoleChanged = "user.role-changed";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string AuthorizationDenied = "authorization.denied";
    public const string AuditVerified = "audit.verified";

    public const string IncidentOpened = "incident.opened";
    public const string DrillStarted = "drill.started";

    public const string SourceAdded = "source.added";
    public const string SourceChanged = "source.changed";
    public const string SourceStarted = "source.started";
    public const string SourceStopped = "source.stopped";
    public const string SourceRemoved = "source.removed";
    public const string SourceReplayFileUploaded = "source.replay_file_uploaded";

    public const string PostFlagged = "post.flagged";
    public const string PostReviewed = "post.reviewed";

    public const string RumourCreated = "rumour.created";
    public const string RumourUpdated = "rumour.updated";
    public const string RumourStatusChanged = "rumour.status-changed";
    public const string RumourPostLinked = "rumour.post-linked";
    public const string RumourStoryLinked = "rumour.story-linked";
    public const string RumourSuggestionConfirmed = "rumour.suggestion-confirmed";
    public const string RumourSuggestionRejected = "rumour.suggestion-rejected";

    public const string RebuttalTemplateSaved = "rebuttal.template-saved";
    public const string RebuttalDrafted = "rebuttal.drafted";
    public const string RebuttalRevised = "rebuttal.revised";
    public const string RebuttalSubmitted = "rebuttal.submitted";
    public const string RebuttalApproved = "rebuttal.approved";
    public const string RebuttalRejected = "rebuttal.rejected";
    public const string RebuttalPublished = "rebuttal.published";

    public const string AlertDrafted = "alert.drafted";
    public const string AlertRevised = "alert.revised";
    public const string AlertSubmitted = "alert.submitted";
    public const string AlertApproved = "alert.approved";
    public const string AlertRejected = "alert.rejected";
    public const string AlertPublished = "alert.published";

    public const string DeliverySucceeded = "delivery.succeeded";
    public const string DeliveryFailed = "delivery.failed";
    public const string DeliveryRetried = "delivery.retried";
    public const string DeliveryAbandoned = "delivery.abandoned";

    public const string OrgAccountSaved = "org-account.saved";
    public const string OrgAccountRemoved = "org-account.removed";
    public const string ReplyRuleChanged = "reply-rule.changed";
    public const string EnquiryRuleChanged = "enquiry-rule.changed";
    public const string ReplyDrafted = "reply.drafted";
    public const string ReplyApproved = "reply.approved";
    public const string ReplyRejected = "reply.rejected";
    public const string ReplySent = "reply.sent";
    public const string EnquiryOpened = "enquiry.opened";
    public const string EnquiryAssigned = "enquiry.assigned";
    public const string EnquiryStatusChanged = "enquiry.status-changed";
    public const string NotificationSettingsChanged = "notification.settings-changed";
    public const string NotificationRead = "notification.read";
    public const string NotificationAcknowledged = "notification.acknowledged";
    public const string NotificationEscalated = "notification.escalated";
    public const string EscalationRotaSet = "escalation.rota-set";
    public const string RecipientListCreated = "recipient-list.created";
    public const string RecipientListRenamed = "recipient-list.renamed";
    public const string RecipientListDeleted = "recipient-list.deleted";
    public const string RecipientListMembersChanged = "recipient-list.members-changed";
    public const string FeedSubscriberCreated = "feed-subscriber.created";
    public const string FeedSubscriberRevoked = "feed-subscriber.revoked";

    public const string ReportExported = "report.exported";
    public const string RetentionApplied = "retention.applied";
}
