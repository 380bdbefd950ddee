namespace CrisisDesk.Core.Review;

/// <summary>
/// Folds the event log into the incident's state as of a moment, by the naming convention (<c>noun.verb-ed</c>,
/// payloads carrying ids and changed values). Events of types it has no rule for are still kept as actions, so
/// new kinds of event show in replay and reports (generically) as soon as they are written.
/// </summary>
public static class IncidentStateFolder
{
    /// <summary>The state after every event at or before <paramref name="asOf"/>; <paramref name="events"/> in log order.</summary>
    public static IncidentState Fold(IEnumerable<ReviewEvent> events, DateTimeOffset asOf)
    {
        var rumours = new Dictionary<string, RumourState>(StringComparer.Ordinal);
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
            switch (e.Noun)
            {
                case "post":
                    if (e.Verb == "flagged")
                        foreach (var postId in PostIdsOf(e))
                            flagged.TryAdd(postId, e.At);
                    break;
                case "rumour":
                    ApplyRumour(rumours, e);
                    break;
                case "rebuttal":
                    ApplyDraft(rebuttals, "rebuttal", e.Text("rebuttalId") ?? e.Text("id"), e);
                    break;
                case "alert":
                    ApplyDraft(alerts, "alert", e.Text("alertId") ?? e.Text("id"), e);
                    break;
                case "delivery":
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

    private static void ApplyRumour(Dictionary<string, RumourState> rumours, ReviewEvent e)
    {
        if (e.Text("rumourId") is not { } id)
            return;
        if (e.Verb == "created" || !rumours.ContainsKey(id))
        {
            // A rumour seen first through a later event (its creation predates the log) still appears.
            rumours[id] = new RumourState(id, e.Text("claim"), e.Text("severity"), e.Text("owner"), e.Text("status") ?? "open",
                e.At, e.Actor, null, PostIdsOf(e).Distinct().ToList(), e.Numbers("storyIds").Distinct().ToList());
            if (e.Verb == "created")
                return;
        }
        var rumour = rumours[id];
        rumours[id] = e.Verb switch
        {
            "status-changed" => rumour with { Status = e.Text("to") ?? rumour.Status, StatusChangedAt = e.At },
            "updated" => rumour with
            {
                Claim = e.Text("claim") ?? rumour.Claim,
                Severity = e.Text("severity") ?? rumour.Severity,
                Owner = e.Text("owner") ?? rumour.Owner,
                Status = e.Text("status") ?? rumour.Status,
            },
            "post-linked" or "suggestion-confirmed" => rumour with
            {
                PostIds = rumour.PostIds.Concat(PostIdsOf(e)).Distinct().ToList(),
                StoryIds = rumour.StoryIds.Concat(e.Numbers("storyIds")).Concat(e.Text("storyId") is { } s && long.TryParse(s, out var storyId) ? [storyId] : []).Distinct().ToList(),
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
