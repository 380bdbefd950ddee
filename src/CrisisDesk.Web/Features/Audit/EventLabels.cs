using System.Globalization;
using System.Text;
using System.Text.Json;
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
        ["account.signed-in"] = "Signed in",
        ["account.signed-out"] = "Signed out",
        ["account.sign-in-failed"] = "Sign-in failed",
        ["account.password-changed"] = "Password changed",
        ["user.created"] = "User added",
        ["user.role-changed"] = "Role changed",
        ["user.disabled"] = "User disabled",
        ["user.enabled"] = "User enabled",
        ["authorization.denied"] = "Action refused (role too low)",
        ["audit.verified"] = "Audit log verified",
        ["incident.opened"] = "Incident opened",
        ["drill.started"] = "Drill started",
        ["source.added"] = "Source added",
        ["source.changed"] = "Source changed",
        ["source.started"] = "Source started",
        ["source.stopped"] = "Source stopped",
        ["source.removed"] = "Source removed",
        ["post.flagged"] = "Post flagged",
        ["post.reviewed"] = "Post marked reviewed",
        ["rumour.created"] = "Rumour flagged",
        ["rumour.updated"] = "Rumour edited",
        ["rumour.status-changed"] = "Rumour status changed",
        ["rumour.post-linked"] = "Post linked to rumour",
        ["rumour.story-linked"] = "Story linked to rumour",
        ["rumour.suggestion-confirmed"] = "Suggested story confirmed",
        ["rumour.suggestion-rejected"] = "Suggested story rejected",
        ["rebuttal.drafted"] = "Rebuttal drafted",
        ["rebuttal.revised"] = "Rebuttal revised",
        ["rebuttal.submitted"] = "Rebuttal sent for approval",
        ["rebuttal.approved"] = "Rebuttal approved",
        ["rebuttal.rejected"] = "Rebuttal sent back",
        ["rebuttal.published"] = "Rebuttal published",
        ["rebuttal.template-saved"] = "Rebuttal template saved",
        ["alert.drafted"] = "Alert drafted",
        ["alert.revised"] = "Alert revised",
        ["alert.submitted"] = "Alert sent for approval",
        ["alert.approved"] = "Alert approved",
        ["alert.rejected"] = "Alert sent back",
        ["alert.published"] = "Alert issued",
        ["delivery.succeeded"] = "Delivered",
        ["delivery.failed"] = "Delivery failed",
        ["delivery.retried"] = "Delivery retried",
        ["delivery.abandoned"] = "Delivery abandoned",
        ["report.exported"] = "Report exported",
        ["retention.applied"] = "Old posts erased (retention)",
    };

    /// <summary>Labels of the payload fields events carry; any other field is split from camelCase.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["userName"] = "Account",
        ["remoteAddress"] = "From address",
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
            "rumour.created" => $"flagged the rumour {rumour}{postText}",
            "rumour.updated" => $"edited the rumour {rumour}",
            "rumour.status-changed" => $"moved rumour {e.Text("rumourId")} from {StatusWord(e.Text("from"))} to {StatusWord(e.Text("to"))}" + (e.Text("note") is { } note ? $": “{note}”" : ""),
            "rumour.post-linked" => $"linked {(posts.Count == 1 ? "a post" : $"{posts.Count} posts")} to rumour {e.Text("rumourId")}{postText}",
            "rumour.story-linked" => $"linked a story to rumour {e.Text("rumourId")}",
            "post.flagged" => $"flagged a post{postText}",
            "post.reviewed" => $"marked a post reviewed{postText}",
            "rebuttal.drafted" => $"drafted a rebuttal" + (e.Text("title") is { } title ? $" “{title}”" : ""),
            "alert.drafted" => $"drafted an alert" + (e.Text("headline") is { } headline ? $" “{headline}”" : ""),
            "delivery.succeeded" => $"delivered to {ChannelOf(e)}",
            "delivery.failed" => $"could not deliver to {ChannelOf(e)}" + (e.Text("error") is { } error ? $": {error}" : ""),
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
