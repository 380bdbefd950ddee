using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CrisisDesk.Core.Events;

/// <summary>
/// The payload of one kind of event. Every writer appends one of these (never a bare action name and an anonymous
/// object), so that what is written and what review, reports and the audit view read is declared once, here.
/// Properties become the payload's camelCase keys; optional keys that some writers leave out are omitted when null,
/// so the stored shapes stay the ones earlier versions wrote.
/// </summary>
public abstract record EventPayload
{
    private protected EventPayload()
    {
    }
}

/// <summary>One action of the contract: its name and its payload type.</summary>
public sealed record EventKind(string Action, Type PayloadType);

/// <summary>Every action the log records, each with its one payload type; and how payloads are written.</summary>
public static class EventContract
{
    /// <summary>How payloads are serialised: the web defaults (camelCase keys), as the log has always stored them.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<Type, string> ActionsByType = new()
    {
        [typeof(AccountSignedIn)] = EventActions.AccountSignedIn,
        [typeof(AccountSignInFailed)] = EventActions.AccountSignInFailed,
        [typeof(AccountSignedOut)] = EventActions.AccountSignedOut,
        [typeof(AccountSsoSignedIn)] = EventActions.AccountSsoSignedIn,
        [typeof(AccountSsoSignInRefused)] = EventActions.AccountSsoSignInRefused,
        [typeof(UserSsoProvisioned)] = EventActions.UserSsoProvisioned,
        [typeof(AccountPasswordChanged)] = EventActions.AccountPasswordChanged,
        [typeof(UserCreated)] = EventActions.UserCreated,
        [typeof(FeedSubscriberCreated)] = EventActions.FeedSubscriberCreated,
        [typeof(FeedSubscriberRevoked)] = EventActions.FeedSubscriberRevoked,
        [typeof(UserRoleChanged)] = EventActions.UserRoleChanged,
        [typeof(UserDisabled)] = EventActions.UserDisabled,
        [typeof(UserEnabled)] = EventActions.UserEnabled,
        [typeof(AuthorizationDenied)] = EventActions.AuthorizationDenied,
        [typeof(AuditVerified)] = EventActions.AuditVerified,
        [typeof(IncidentOpened)] = EventActions.IncidentOpened,
        [typeof(DrillStarted)] = EventActions.DrillStarted,
        [typeof(SourceAdded)] = EventActions.SourceAdded,
        [typeof(SourceChanged)] = EventActions.SourceChanged,
        [typeof(SourceStarted)] = EventActions.SourceStarted,
        [typeof(SourceStopped)] = EventActions.SourceStopped,
        [typeof(SourceRemoved)] = EventActions.SourceRemoved,
        [typeof(SourceReplayFileUploaded)] = EventActions.SourceReplayFileUploaded,
        [typeof(PostFlagged)] = EventActions.PostFlagged,
        [typeof(PostReviewed)] = EventActions.PostReviewed,
        [typeof(RumourCreated)] = EventActions.RumourCreated,
        [typeof(RumourUpdated)] = EventActions.RumourUpdated,
        [typeof(RumourStatusChanged)] = EventActions.RumourStatusChanged,
        [typeof(RumourPostLinked)] = EventActions.RumourPostLinked,
        [typeof(RumourStoryLinked)] = EventActions.RumourStoryLinked,
        [typeof(RumourSuggestionConfirmed)] = EventActions.RumourSuggestionConfirmed,
        [typeof(RumourSuggestionRejected)] = EventActions.RumourSuggestionRejected,
        [typeof(RebuttalTemplateSaved)] = EventActions.RebuttalTemplateSaved,
        [typeof(RebuttalDrafted)] = EventActions.RebuttalDrafted,
        [typeof(RebuttalRevised)] = EventActions.RebuttalRevised,
        [typeof(RebuttalSubmitted)] = EventActions.RebuttalSubmitted,
        [typeof(RebuttalApproved)] = EventActions.RebuttalApproved,
        [typeof(RebuttalRejected)] = EventActions.RebuttalRejected,
        [typeof(RebuttalPublished)] = EventActions.RebuttalPublished,
        [typeof(AlertDrafted)] = EventActions.AlertDrafted,
        [typeof(AlertRevised)] = EventActions.AlertRevised,
        [typeof(AlertSubmitted)] = EventActions.AlertSubmitted,
        [typeof(AlertApproved)] = EventActions.AlertApproved,
        [typeof(AlertRejected)] = EventActions.AlertRejected,
        [typeof(AlertPublished)] = EventActions.AlertPublished,
        [typeof(DeliverySucceeded)] = EventActions.DeliverySucceeded,
        [typeof(DeliveryFailed)] = EventActions.DeliveryFailed,
        [typeof(DeliveryRetried)] = EventActions.DeliveryRetried,
        [typeof(DeliveryAbandoned)] = EventActions.DeliveryAbandoned,
        [typeof(OrgAccountSaved)] = EventActions.OrgAccountSaved,
        [typeof(OrgAccountRemoved)] = EventActions.OrgAccountRemoved,
        [typeof(ReplyRuleChanged)] = EventActions.ReplyRuleChanged,
        [typeof(EnquiryRuleChanged)] = EventActions.EnquiryRuleChanged,
        [typeof(ReplyDrafted)] = EventActions.ReplyDrafted,
        [typeof(ReplyApproved)] = EventActions.ReplyApproved,
        [typeof(ReplyRejected)] = EventActions.ReplyRejected,
        [typeof(ReplySent)] = EventActions.ReplySent,
        [typeof(EnquiryOpened)] = EventActions.EnquiryOpened,
        [typeof(EnquiryAssigned)] = EventActions.EnquiryAssigned,
        [typeof(EnquiryStatusChanged)] = EventActions.EnquiryStatusChanged,
        [typeof(NotificationSettingsChanged)] = EventActions.NotificationSettingsChanged,
        [typeof(NotificationRead)] = EventActions.NotificationRead,
        [typeof(NotificationAcknowledged)] = EventActions.NotificationAcknowledged,
        [typeof(NotificationEscalated)] = EventActions.NotificationEscalated,
        [typeof(EscalationRotaSet)] = EventActions.EscalationRotaSet,
        [typeof(RecipientListCreated)] = EventActions.RecipientListCreated,
        [typeof(RecipientListRenamed)] = EventActions.RecipientListRenamed,
        [typeof(RecipientListDeleted)] = EventActions.RecipientListDeleted,
        [typeof(RecipientListMembersChanged)] = EventActions.RecipientListMembersChanged,
        [typeof(ReportExported)] = EventActions.ReportExported,
        [typeof(RetentionApplied)] = EventActions.RetentionApplied,
    };

    private static readonly Dictionary<string, Type> TypesByAction = ActionsByType.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Every action the log can hold, in the order declared.</summary>
    public static IReadOnlyList<EventKind> All { get; } = ActionsByType.Select(p => new EventKind(p.Value, p.Key)).ToList();

    /// <summary>The action a payload records.</summary>
    public static string ActionOf(EventPayload payload) =>
        ActionsByType.TryGetValue(payload.GetType(), out var action)
            ? action
            : throw new InvalidOperationException($"{payload.GetType().Name} is not in the event contract: add it to EventContract.");

    /// <summary>The payload type of an action, or null for an action the contract does not know (written by an older or newer version).</summary>
    public static Type? PayloadTypeOf(string action) => TypesByAction.GetValueOrDefault(action);

    /// <summary>The payload as the log stores it (before PostgreSQL makes it canonical jsonb).</summary>
    public static string Serialize(EventPayload payload) => JsonSerializer.Serialize(payload, payload.GetType(), JsonOptions);

    /// <summary>A stored payload read back as its type; null when the action is unknown or the stored shape does not fit the type.</summary>
    public static EventPayload? TryDeserialize(string action, JsonElement payload)
    {
        if (PayloadTypeOf(action) is not { } type)
            return null;
        try
        {
            return payload.Deserialize(type, JsonOptions) as EventPayload;
        }
        catch (JsonException)
        {
            return null; // an older shape: readers fall back to the payload's keys
        }
    }
}

// ---- Accounts and access -------------------------------------------------------------------------------------------

public sealed record AccountSignedIn(string? RemoteAddress) : EventPayload;

public sealed record AccountSignInFailed(string UserName, string Reason, string? RemoteAddress) : EventPayload;

public sealed record AccountSignedOut : EventPayload;

/// <summary>A sign-in through the organisation's identity provider (OpenID Connect), with the role it mapped to.</summary>
public sealed record AccountSsoSignedIn(string Provider, string Issuer, string Subject, string Role, string? RemoteAddress) : EventPayload;

/// <summary>A sign-in through the identity provider that was refused: nobody was signed in. Issuer and subject only when the token was valid.</summary>
public sealed record AccountSsoSignInRefused(string Provider, string? Issuer, string? Subject, string? UserName, string Reason, string? RemoteAddress) : EventPayload;

/// <summary>An account created at its first sign-in through the identity provider, linked to its issuer and subject.</summary>
public sealed record UserSsoProvisioned(string UserName, string Role, string Issuer, string Subject) : EventPayload;

public sealed record AccountPasswordChanged(int SessionsEnded) : EventPayload;

public sealed record UserCreated(string UserName, string Role) : EventPayload;

/// <summary>An Admin gave an outside subscriber a read-only feed hub token for these incidents (the token itself is never logged).</summary>
public sealed record FeedSubscriberCreated(long SubscriberId, string Name, IReadOnlyList<int> IncidentIds) : EventPayload;

/// <summary>An Admin revoked a feed hub token; its connections are cut.</summary>
public sealed record FeedSubscriberRevoked(long SubscriberId, string Name) : EventPayload;

public sealed record UserRoleChanged(string UserName, string From, string To, int SessionsEnded) : EventPayload;

public sealed record UserDisabled(string UserName, int SessionsEnded) : EventPayload;

public sealed record UserEnabled(string UserName, int SessionsEnded) : EventPayload;

/// <summary>A refused command: by role (<see cref="Policy"/>) or by the two-person rule (<see cref="Rule"/>).</summary>
public sealed record AuthorizationDenied(
    string Action,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Policy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Rule = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AlertId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Identifier = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RebuttalId = null) : EventPayload;

public sealed record AuditVerified(bool Holds, long Linked, long HeadSeq, string HeadHash, long? BreakSeq, string? BreakKind, string? Problem, string Via) : EventPayload;

// ---- Incidents and sources -----------------------------------------------------------------------------------------

public sealed record IncidentOpened(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Keywords = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Area = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Drill = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AreaPolygons = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AreaCircles = null) : EventPayload;

public sealed record DrillStarted(string DataSet, int SourceId, double Speed, double MaxGapSeconds) : EventPayload;

public sealed record SourceAdded(int SourceId, string Kind, string Name, JsonNode? Config, bool Enabled) : EventPayload;

public sealed record SourceChanged(int SourceId, string Kind, string Name, string PreviousName, JsonNode? Config, bool CursorReset, bool Restarted) : EventPayload;

public sealed record SourceStarted(int SourceId, string Kind, string Name) : EventPayload;

public sealed record SourceStopped(int SourceId, string Kind, string Name) : EventPayload;

public sealed record SourceRemoved(int SourceId, string Kind, string Name, bool WasRunning) : EventPayload;

public sealed record SourceReplayFileUploaded(string File, string? OriginalName, long Bytes, string Format, string Sha256) : EventPayload;

// ---- Triage and rumours --------------------------------------------------------------------------------------------

public sealed record PostFlagged(long PostId) : EventPayload;

public sealed record PostReviewed(long PostId) : EventPayload;

public sealed record RumourCreated(
    int RumourId, string Claim, string Severity, string Owner, IReadOnlyList<string> Keywords, IReadOnlyList<long> PostIds, IReadOnlyList<long> StoryIds) : EventPayload;

public sealed record RumourUpdated(int RumourId, string Claim, string Severity, string Owner, int Version) : EventPayload;

public sealed record RumourStatusChanged(int RumourId, string From, string To, string Note, int Version) : EventPayload;

/// <summary>A post linked to a rumour by hand.</summary>
public sealed record RumourPostLinked(int RumourId, long? PostId, long? StoryId) : EventPayload;

/// <summary>A story linked to a rumour by hand (with the post it was seen through, when one was named).</summary>
public sealed record RumourStoryLinked(int RumourId, long? PostId, long? StoryId) : EventPayload;

public sealed record RumourSuggestionConfirmed(int RumourId, long SuggestionId, long StoryId, long PostId, double Score, string Reason) : EventPayload;

public sealed record RumourSuggestionRejected(int RumourId, long SuggestionId, long StoryId, long PostId, double Score, string Reason) : EventPayload;

// ---- Rebuttals -----------------------------------------------------------------------------------------------------

public sealed record RebuttalTemplateSaved(int TemplateId, string Name) : EventPayload;

public sealed record RebuttalDrafted(int RebuttalId, int? RumourId, string Title, int Version, IReadOnlyDictionary<string, string> Variants) : EventPayload;

public sealed record RebuttalRevised(int RebuttalId, int Version, string? Note, IReadOnlyDictionary<string, string> Variants) : EventPayload;

public sealed record RebuttalSubmitted(int RebuttalId, int Version) : EventPayload;

public sealed record RebuttalApproved(int RebuttalId, int Version, string Author, string? Comment) : EventPayload;

public sealed record RebuttalRejected(int RebuttalId, int Version, string Author, string? Comment) : EventPayload;

public sealed record RebuttalPublished(int RebuttalId, int Version, int? RumourId, IReadOnlyList<string> Channels, IReadOnlyList<long> DeliveryIds) : EventPayload;

// ---- Alerts --------------------------------------------------------------------------------------------------------

public sealed record AlertDrafted(
    int AlertId, string Identifier, string MsgType, string Status, string? Headline, int? ThreadRootId, IReadOnlyList<string> References) : EventPayload;

public sealed record AlertRevised(int AlertId, string Identifier, string MsgType, string Status, string? Headline) : EventPayload;

public sealed record AlertSubmitted(int AlertId, string Identifier) : EventPayload;

public sealed record AlertApproved(int AlertId, string Identifier, string Author, string? Comment) : EventPayload;

public sealed record AlertRejected(int AlertId, string Identifier, string Author, string? Comment) : EventPayload;

public sealed record AlertPublished(
    int AlertId, string Identifier, string MsgType, string Status, string Sent, string? Headline, IReadOnlyList<string> References,
    IReadOnlyList<string> Channels, IReadOnlyList<long> DeliveryIds) : EventPayload;

// ---- Deliveries ----------------------------------------------------------------------------------------------------

public sealed record DeliverySucceeded(long DeliveryId, string Channel, string? Receipt, int? AlertId, string? Identifier, int? RebuttalId, int Attempts) : EventPayload;

public sealed record DeliveryFailed(long DeliveryId, string Channel, string Error, bool Permanent, int Attempts, int? AlertId, int? RebuttalId) : EventPayload;

public sealed record DeliveryRetried(long DeliveryId, string Channel) : EventPayload;

public sealed record DeliveryAbandoned(long DeliveryId, string Channel) : EventPayload;

// ---- The organisation's accounts, replies in thread and enquiries (issue 18) ------------------------------------

/// <summary>An account that speaks for the organisation in an incident, added or changed; its credential by name only.</summary>
public sealed record OrgAccountSaved(int AccountId, string Platform, string Handle, string BaseUrl, string SecretName) : EventPayload;

public sealed record OrgAccountRemoved(int AccountId, string Platform, string Handle) : EventPayload;

/// <summary>The team's rule: whether a reply on <see cref="Platform"/> written by <see cref="Role"/> needs approval.</summary>
public sealed record ReplyRuleChanged(string Platform, string Role, bool NeedsApproval) : EventPayload;

public sealed record EnquiryRuleChanged(bool RequireQuestion, IReadOnlyList<string> QuestionWords, int SlaMinutes) : EventPayload;

public sealed record ReplyDrafted(int ReplyId, long PostId, string Platform, string Text, bool NeedsApproval, int? EnquiryId, int? RebuttalId) : EventPayload;

public sealed record ReplyApproved(int ReplyId, string Author, string? Comment) : EventPayload;

public sealed record ReplyRejected(int ReplyId, string Author, string Comment) : EventPayload;

/// <summary>The reply went to the outbox (the delivery's own events say when the platform took it).</summary>
public sealed record ReplySent(int ReplyId, long PostId, string Platform, long DeliveryId, int? EnquiryId) : EventPayload;

/// <summary>A post became an enquiry: by the rule (<c>mention</c>, <c>question</c>) or marked by an operator (<c>marked</c>).</summary>
public sealed record EnquiryOpened(int EnquiryId, long PostId, string Reason) : EventPayload;

/// <summary>Taken by or given to <see cref="Assignee"/> (null: given up).</summary>
public sealed record EnquiryAssigned(int EnquiryId, string? Assignee, string? Previous) : EventPayload;

public sealed record EnquiryStatusChanged(int EnquiryId, string From, string To) : EventPayload;

// ---- Review --------------------------------------------------------------------------------------------------------

public sealed record ReportExported(string Format, string? Table, long Rows, bool Completed) : EventPayload;

/// <summary>Posts of one incident erased (the post fields), or quarantined items erased (<see cref="QuarantinedErased"/>, no incident).</summary>
public sealed record RetentionApplied(
    int PostDays,
    DateTimeOffset Cutoff,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? PostsErased = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? FirstPostId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? LastPostId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? QuarantinedErased = null) : EventPayload;

/// <summary>
/// A person changed how they are told (their contacts, quiet hours, rules). Whether an email address and a phone
/// number are set is recorded, never the address or number: the log is append-only and keeps no personal contacts.
/// </summary>
public sealed record NotificationSettingsChanged(bool HasEmail, bool HasPhone, string? QuietHours, IReadOnlyList<string> Rules) : EventPayload;

/// <summary>A person marked notifications read (one, or all of theirs).</summary>
public sealed record NotificationRead(IReadOnlyList<long> NotificationIds) : EventPayload;

/// <summary>A person took a notification on (it stops its escalation).</summary>
public sealed record NotificationAcknowledged(long NotificationId, string Kind) : EventPayload;

/// <summary>Nobody acknowledged in time: the next person on the rota was told (step 1 is the first escalation).</summary>
public sealed record NotificationEscalated(string Kind, string Subject, string To, int Step, long NotificationId) : EventPayload;

/// <summary>An Admin set who is told next, in order, for an incident (or, with no incident, by default).</summary>
public sealed record EscalationRotaSet(IReadOnlyList<string> UserNames) : EventPayload;

// ---- Recipient lists -----------------------------------------------------------------------------------------------

/// <summary>An Admin created an email or SMS list (kind "email" or "sms").</summary>
public sealed record RecipientListCreated(int ListId, string Name, string Kind) : EventPayload;

public sealed record RecipientListRenamed(int ListId, string From, string To) : EventPayload;

/// <summary>An Admin deleted a list; its recipients were erased with it.</summary>
public sealed record RecipientListDeleted(int ListId, string Name, string Kind, int RecipientsErased) : EventPayload;

/// <summary>
/// An Admin added or removed recipients (by hand, <c>Source</c> "manual", or from a CSV file, "csv", with the lines
/// it rejected). Counts only: like notification settings, the append-only log keeps no addresses or numbers.
/// </summary>
public sealed record RecipientListMembersChanged(int ListId, string Source, int Added, int Removed, int Rejected) : EventPayload;
