using System.Globalization;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Review;

namespace CrisisDesk.Web.Features.Audit;

/// <summary>One payload field as a person reads it: "Rumour" → "r1", "Posts" → "237, 238".</summary>
public sealed record EventField(string Label, string Value);

/// <summary>A link an event points at (the rumour, rebuttal, alert or sources it is about).</summary>
public sealed record EventLink(string Text, string Href);

/// <summary>
/// Every action the event log records (<c>rumour.created</c>, <c>user.role-changed</c>, …) in people's words, and each
/// event's payload as labelled fields and one sentence, for the audit log and the replay. The action names stay in
/// the log (they are its contract); only their display changes here. An action added without a label still reads
/// ("Widget frobbed"), and a test fails until it gets a real one.
/// </summary>
public static class EventLabels
{
    private static readonly Dictionary<string, string> Actions = new(StringComparer.Ordinal)
    {
        [EventActions.AccountSignedIn] = "Signed in",
        [EventActions.AccountSignedOut] = "Signed out",
        [EventActions.AccountSsoSignedIn] = "Signed in with single sign-on",
        [EventActions.AccountSsoSignInRefused] = "Single sign-on refused",
        [EventActions.UserSsoProvisioned] = "User added at first single sign-on",
        [EventActions.AccountSignInFailed] = "Sign-in failed",
        [EventActions.AccountPasswordChanged] = "Password changed",
        [EventActions.UserCreated] = "User added",
        [EventActions.FeedSubscriberCreated] = "Feed subscriber added",
        [EventActions.FeedSubscriberRevoked] = "Feed subscriber revoked",
        [EventActions.UserRoleChanged] = "Role changed",
        [EventActions.UserDisabled] = "User disabled",
        [EventActions.UserEnabled] = "User enabled",
        [EventActions.AuthorizationDenied] = "Action refused (role too low)",
        [EventActions.AuditVerified] = "Audit log verified",
        [EventActions.IncidentOpened] = "Incident opened",
        [EventActions.DrillStarted] = "Drill started",
        [EventActions.SourceAdded] = "Source added",
        [EventActions.SourceChanged] = "Source changed",
        [EventActions.SourceStarted] = "Source started",
        [EventActions.SourceStopped] = "Source stopped",
        [EventActions.SourceRemoved] = "Source removed",
        [EventActions.SourceReplayFileUploaded] = "Replay file uploaded",
        [EventActions.PostFlagged] = "Post flagged",
        [EventActions.PostReviewed] = "Post marked reviewed",
        [EventActions.RumourCreated] = "Rumour flagged",
        [EventActions.RumourUpdated] = "Rumour edited",
        [EventActions.RumourStatusChanged] = "Rumour status changed",
        [EventActions.RumourPostLinked] = "Post linked to rumour",
        [EventActions.RumourStoryLinked] = "Story linked to rumour",
        [EventActions.RumourSuggestionConfirmed] = "Suggested story confirmed",
        [EventActions.RumourSuggestionRejected] = "Suggested story rejected",
        [EventActions.RebuttalDrafted] = "Rebuttal drafted",
        [EventActions.RebuttalRevised] = "Rebuttal revised",
        [EventActions.RebuttalSubmitted] = "Rebuttal sent for approval",
        [EventActions.RebuttalApproved] = "Rebuttal approved",
        [EventActions.RebuttalRejected] = "Rebuttal sent back",
        [EventActions.RebuttalPublished] = "Rebuttal published",
        [EventActions.RebuttalTemplateSaved] = "Rebuttal template saved",
        [EventActions.AlertDrafted] = "Alert drafted",
        [EventActions.AlertRevised] = "Alert revised",
        [EventActions.AlertSubmitted] = "Alert sent for approval",
        [EventActions.AlertApproved] = "Alert approved",
        [EventActions.AlertRejected] = "Alert sent back",
        [EventActions.AlertPublished] = "Alert issued",
        [EventActions.DeliverySucceeded] = "Delivered",
        [EventActions.DeliveryFailed] = "Delivery failed",
        [EventActions.DeliveryRetried] = "Delivery retried",
        [EventActions.DeliveryAbandoned] = "Delivery abandoned",
        [EventActions.OrgAccountSaved] = "Organisation account saved",
        [EventActions.OrgAccountRemoved] = "Organisation account removed",
        [EventActions.ReplyRuleChanged] = "Reply approval rule changed",
        [EventActions.EnquiryRuleChanged] = "Enquiry rule changed",
        [EventActions.ReplyDrafted] = "Reply drafted",
        [EventActions.ReplyApproved] = "Reply approved",
        [EventActions.ReplyRejected] = "Reply sent back",
        [EventActions.ReplySent] = "Reply sent",
        [EventActions.EnquiryOpened] = "Enquiry opened",
        [EventActions.EnquiryAssigned] = "Enquiry assigned",
        [EventActions.EnquiryStatusChanged] = "Enquiry status changed",
        [EventActions.NotificationSettingsChanged] = "Notification settings changed",
        [EventActions.NotificationRead] = "Notifications read",
        [EventActions.NotificationAcknowledged] = "Notification acknowledged",
        [EventActions.NotificationEscalated] = "Notification escalated",
        [EventActions.EscalationRotaSet] = "Escalation rota set",
        [EventActions.RecipientListCreated] = "Recipient list created",
        [EventActions.RecipientListRenamed] = "Recipient list renamed",
        [EventActions.RecipientListDeleted] = "Recipient list deleted",
        [EventActions.RecipientListMembersChanged] = "Recipient list changed",
        [EventActions.ReportExported] = "Report exported",
        [EventActions.RetentionApplied] = "Old posts erased (retention)",
    };

    /// <summary>Labels of the payload fields events carry; any other field is split from camelCase.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["userName"] = "Account",
        ["remoteAddress"] = "From address",
        ["provider"] = "Identity provider",
        ["issuer"] = "Issuer",
        ["subject"] = "Subject at the provider",
        ["role"] = "Role",
        ["from"] = "From",
        ["to"] = "To",
        ["rumourId"] = "Rumour",
        ["rebuttalId"] = "Rebuttal",
        ["alertId"] = "Alert",
        ["deliveryId"] = "Delivery",
        ["deliveryIds"] = "Deliveries",
        ["sourceId"] = "Source",
        ["suggestionId"] = "Suggestion",
        ["storyId"] = "Story",
        ["storyIds"] = "Stories",
        ["postId"] = "Post",
        ["postIds"] = "Posts",
        ["msgType"] = "CAP msgType",
        ["status"] = "CAP status",
        ["identifier"] = "CAP identifier",
        ["headline"] = "Headline",
        ["claim"] = "Claim",
        ["severity"] = "Severity",
        ["owner"] = "Owner",
        ["note"] = "Note",
        ["comment"] = "Comment",
        ["author"] = "Drafted by",
        ["channel"] = "Channel",
        ["channels"] = "Channels",
        ["receipt"] = "Receipt",
        ["attempts"] = "Attempts",
        ["permanent"] = "Permanent failure",
        ["error"] = "Error",
        ["kind"] = "Kind",
        ["name"] = "Name",
        ["previousName"] = "Previous name",
        ["config"] = "Settings",
        ["cursorReset"] = "Read again from the start",
        ["restarted"] = "Restarted",
        ["wasRunning"] = "Was running",
        ["enabled"] = "Running",
        ["holds"] = "Chain intact",
        ["linked"] = "Events linked",
        ["headSeq"] = "Last event",
        ["headHash"] = "Last hash",
        ["breakSeq"] = "Broken at event",
        ["breakKind"] = "Break",
        ["problem"] = "Problem",
        ["via"] = "Via",
        ["action"] = "Tried to",
        ["policy"] = "Needs role",
        ["postDays"] = "Posts kept (days)",
        ["cutoff"] = "Erased before",
        ["postsErased"] = "Posts erased",
        ["quarantinedErased"] = "Quarantined erased",
        ["format"] = "Format",
        ["table"] = "Table",
        ["rows"] = "Rows",
        ["completed"] = "Completed",
        ["dataSet"] = "Data set",
        ["speed"] = "Speed (×)",
        ["maxGapSeconds"] = "Longest pause (s)",
        ["keywords"] = "Keywords",
        ["area"] = "Area",
        ["version"] = "Version",
        ["variants"] = "Channels drafted",
        ["title"] = "Title",
        ["templateId"] = "Template",
        ["score"] = "Score",
        ["reason"] = "Reason",
        ["replyId"] = "Reply",
        ["enquiryId"] = "Enquiry",
        ["accountId"] = "Account",
        ["platform"] = "Platform",
        ["handle"] = "Handle",
        ["baseUrl"] = "API address",
        ["secretName"] = "Credential name",
        ["needsApproval"] = "Needs approval",
        ["assignee"] = "Assigned to",
        ["previous"] = "Was assigned to",
        ["requireQuestion"] = "Needs a question",
        ["questionWords"] = "Question words",
        ["slaMinutes"] = "Answer within (minutes)",
        ["text"] = "Text",
    };

    /// <summary>Every action with a label, for the audit filter's choices.</summary>
    public static IReadOnlyCollection<string> KnownActions => Actions.Keys;

    public static bool HasLabel(string action) => Actions.ContainsKey(action);

    /// <summary>The action in words: "rumour.status-changed" → "Rumour status changed".</summary>
    public static string Label(string action) => Actions.TryGetValue(action, out var label) ? label : Humanise(action.Replace('.', ' ').Replace('-', ' '));

    /// <summary>The label of one payload field.</summary>
    public static string FieldLabel(string name) => Fields.TryGetValue(name, out var label) ? label : Humanise(SplitCamel(name));

    /// <summary>The payload as labelled fields, in the order written; nulls left out, nested settings flattened.</summary>
    public static IReadOnlyList<EventField> FieldsOf(ReviewEvent e)
    {
        var fields = new List<EventField>();
        if (e.Payload.ValueKind != JsonValueKind.Object)
            return fields;
        foreach (var property in e.Payload.EnumerateObject())
        {
            if (ValueText(property.Value) is { Length: > 0 } text)
                fields.Add(new EventField(FieldLabel(property.Name), text));
        }
        return fields;
    }

    /// <summary>What happened in one sentence, for the replay's action list: "ops.anna flagged the rumour “…” (2 posts)".</summary>
    public static string Sentence(ReviewEvent e)
    {
        var posts = e.Numbers("postIds") is { Count: > 0 } ids ? ids : e.Text("postId") is { } one && long.TryParse(one, CultureInfo.InvariantCulture, out var id) ? [id] : [];
        var postText = posts.Count switch
        {
            0 => "",
            1 => $" (post {posts[0]})",
            _ => $" ({posts.Count} posts: {string.Join(", ", posts.Take(5))}{(posts.Count > 5 ? ", …" : "")})",
        };
        var rumour = e.Text("claim") is { } claim ? $"“{claim}”" : e.Text("rumourId") is { } rid ? $"rumour {rid}" : "a rumour";
        var what = e.Action switch
        {
            EventActions.RumourCreated => $"flagged the rumour {rumour}{postText}",
            EventActions.RumourUpdated => $"edited the rumour {rumour}",
            EventActions.RumourStatusChanged => $"moved rumour {e.Text("rumourId")} from {StatusWord(e.Text("from"))} to {StatusWord(e.Text("to"))}" + (e.Text("note") is { } note ? $": “{note}”" : ""),
            EventActions.RumourPostLinked => $"linked {(posts.Count == 1 ? "a post" : $"{posts.Count} posts")} to rumour {e.Text("rumourId")}{postText}",
            EventActions.RumourStoryLinked => $"linked a story to rumour {e.Text("rumourId")}",
            EventActions.PostFlagged => $"flagged a post{postText}",
            EventActions.PostReviewed => $"marked a post reviewed{postText}",
            EventActions.RebuttalDrafted => $"drafted a rebuttal" + (e.Text("title") is { } title ? $" “{title}”" : ""),
            EventActions.AlertDrafted => $"drafted an alert" + (e.Text("headline") is { } headline ? $" “{headline}”" : ""),
            EventActions.DeliverySucceeded => $"delivered to {ChannelOf(e)}",
            EventActions.ReplyDrafted => $"drafted a reply on {PlatformOf(e)}{postText}",
            EventActions.ReplySent => $"sent a reply on {PlatformOf(e)}{postText}",
            EventActions.EnquiryAssigned => e.Text("assignee") is { } assignee ? $"assigned enquiry {e.Text("enquiryId")} to {assignee}" : $"unassigned enquiry {e.Text("enquiryId")}",
            EventActions.EnquiryStatusChanged => $"moved enquiry {e.Text("enquiryId")} from {e.Text("from")} to {e.Text("to")}",
            EventActions.DeliveryFailed => $"could not deliver to {ChannelOf(e)}" + (e.Text("error") is { } error ? $": {error}" : ""),
            _ => Label(e.Action).ToLowerInvariant() + (e.Text("name") is { } name ? $" “{name}”" : "") + postText,
        };
        return $"{e.Actor} {what}";
    }

    /// <summary>Pages an event is about, within its incident.</summary>
    public static IReadOnlyList<EventLink> LinksOf(ReviewEvent e)
    {
        if (e.IncidentId is not { } incident)
            return [];
        var links = new List<EventLink>();
        if (e.Text("rumourId") is { } rumour && int.TryParse(rumour.TrimStart('r'), CultureInfo.InvariantCulture, out var rumourId))
            links.Add(new EventLink($"Rumour {rumourId}", $"/incidents/{incident}/rumours/{rumourId}"));
        if (e.Text("rebuttalId") is { } rebuttal && int.TryParse(rebuttal, CultureInfo.InvariantCulture, out var rebuttalId))
            links.Add(new EventLink($"Rebuttal {rebuttalId}", $"/incidents/{incident}/rebuttals/{rebuttalId}"));
        if (e.Text("alertId") is { } alert && int.TryParse(alert, CultureInfo.InvariantCulture, out var alertId))
            links.Add(new EventLink($"Alert {alertId}", $"/incidents/{incident}/alerts/{alertId}"));
        if (e.Noun == "source")
            links.Add(new EventLink("Sources", $"/incidents/{incident}/sources"));
        return links;
    }

    private static string ChannelOf(ReviewEvent e) => e.Text("channel") is { } channel ? Publishing.ChannelNames.Label(channel) : "a channel";

    private static string PlatformOf(ReviewEvent e) => e.Text("platform") is { } platform ? Publishing.ChannelNames.Label(platform) : "a platform";

    private static string StatusWord(string? status) => status is null ? "?" : Humanise(SplitCamel(status)).ToLowerInvariant();

    private static string? ValueText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(ValueText).Where(t => !string.IsNullOrEmpty(t))),
        JsonValueKind.Object => string.Join("; ", value.EnumerateObject()
            .Select(p => (Name: FieldLabel(p.Name), Text: ValueText(p.Value)))
            .Where(p => !string.IsNullOrEmpty(p.Text))
            .Select(p => $"{p.Name}: {p.Text}")),
        _ => null,
    };

    private static string SplitCamel(string name)
    {
        var words = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && words.Length > 0)
                words.Append(' ');
            words.Append(char.ToLowerInvariant(c));
        }
        return words.ToString();
    }

    private static string Humanise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
