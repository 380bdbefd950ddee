namespace CrisisDesk.Core.Review;

/// <summary>A rumour as it stood at a moment: folded from <c>rumour.*</c> and <c>post.flagged</c> events.</summary>
public sealed record ReplayedRumour(
    string Id, string? Claim, string? Severity, string? Owner, string Status,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? StatusChangedAt,
    IReadOnlyList<long> PostIds, IReadOnlyList<long> StoryIds);

/// <summary>A rebuttal or alert as it stood: its last step (drafted, submitted, approved, …) and who took the key ones.</summary>
public sealed record DraftState(
    string Kind, string Id, string Status, string? RumourId, string? Headline, string? Identifier, string? MsgType,
    DateTimeOffset DraftedAt, string DraftedBy, DateTimeOffset LastChangedAt, string LastActor,
    string? ApprovedBy, DateTimeOffset? ApprovedAt, DateTimeOffset? PublishedAt);

/// <summary>One channel delivery of an alert or rebuttal: its latest outcome and receipt.</summary>
public sealed record DeliveryState(string Id, string? AlertId, string? Channel, string Status, string? Receipt, DateTimeOffset At, int Attempts);

/// <summary>What the war room knew at <see cref="AsOf"/>: everything an event had recorded by then, and nothing later.</summary>
public sealed record IncidentState(
    DateTimeOffset AsOf,
    IReadOnlyList<ReplayedRumour> Rumours,
    IReadOnlyList<DraftState> Rebuttals,
    IReadOnlyList<DraftState> Alerts,
    IReadOnlyList<DeliveryState> Deliveries,
    IReadOnlyDictionary<long, DateTimeOffset> FlaggedPosts,
    IReadOnlyList<ReviewEvent> Actions);
