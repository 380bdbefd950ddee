namespace CrisisDesk.Data.Domain;

// The domain's tables as EF Core sees them: one class per table, properties in the order of the columns, names
// turned into snake_case by CrisisDeskDbContext. The numbered SQL migrations own the schema; a test checks that
// these mappings match it (tables, columns, types, nullability, keys). Times are UTC DateTimes (timestamptz).

public sealed class UserRow
{
    public int Id { get; set; }
    public string UserName { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public string Role { get; set; } = "";
    public bool Disabled { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The identity provider's issuer and subject of an account single sign-on made; null for a local account.</summary>
    public string? ExternalIssuer { get; set; }
    public string? ExternalSubject { get; set; }
    /// <summary>PostgreSQL's xmin, the concurrency token: two admins' changes to one account cannot overwrite each other unseen.</summary>
    public uint RowVersion { get; set; }
}

/// <summary>A server-side sign-in session; its id is the SHA-256 of the cookie's token (never the token itself).</summary>
public sealed class SessionRow
{
    public string Id { get; set; } = "";
    public int UserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedReason { get; set; }
    public string? RemoteAddress { get; set; }
}

public sealed class IncidentRow
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string[] Keywords { get; set; } = [];
    public string? Area { get; set; }
    public bool IsDrill { get; set; }
    public DateTime OpenedAt { get; set; }
    public DateTime? ClosedAt { get; set; }
    /// <summary>The area as drawn: CAP polygons and circles, as text, as CAP writes them.</summary>
    public string[] AreaPolygons { get; set; } = [];
    public string[] AreaCircles { get; set; } = [];
    /// <summary>The drawn area's bounding box; null when none was drawn.</summary>
    public double? AreaSouth { get; set; }
    public double? AreaWest { get; set; }
    public double? AreaNorth { get; set; }
    public double? AreaEast { get; set; }
}

public sealed class SourceRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public string Kind { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The source's settings (jsonb); a credential's name, never its value.</summary>
    public string Config { get; set; } = "{}";
    public bool Enabled { get; set; }
    public string? Cursor { get; set; }
    public long PostsStored { get; set; }
    public long Quarantined { get; set; }
    public DateTime? LastItemAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RemovedAt { get; set; }
    public long EditsStored { get; set; }
    public long DeletionsApplied { get; set; }
    public long DeletionsUnmatched { get; set; }
    /// <summary>PostgreSQL's xmin: changes with every write of the row, so a save over someone else's change fails.</summary>
    public uint RowVersion { get; set; }
}

public sealed class StoryMetadataRow
{
    public long Id { get; set; }
    public int IncidentId { get; set; }
    public int Size { get; set; }
    public long FirstPostId { get; set; }
    public DateTime FirstPostAt { get; set; }
    public DateTime LatestPostAt { get; set; }
    public double GrowthPerMinute { get; set; }
    public string SampleText { get; set; } = "";
}

/// <summary>
/// The few columns of a post the domain's commands look up (which incident, which story). Read only: posts are
/// written by the post writer over binary COPY, never through EF Core.
/// </summary>
public sealed class PostReferenceRow
{
    public long Id { get; set; }
    public int IncidentId { get; set; }
    public long? StoryId { get; set; }
    /// <summary>The platform the post came from: the enquiry metrics count per platform.</summary>
    public string Platform { get; set; } = "";
    /// <summary>The platform's id for the post, and what the normaliser kept of it (jsonb): a reply names its thread from them.</summary>
    public string ExternalId { get; set; } = "";
    [System.ComponentModel.DataAnnotations.Schema.Column(TypeName = "jsonb")]
    public string? Extra { get; set; }
    /// <summary>What the enquiry inbox and rumour suggestions show of the post. A text can run to megabytes: select the
    /// columns a query needs (and cut the text in the query), never load whole rows.</summary>
    public DateTime CreatedAt { get; set; }
    public string? AuthorHandle { get; set; }
    public string? AuthorName { get; set; }
    public string Text { get; set; } = "";
    public string? Url { get; set; }
    /// <summary>The rest of what a rumour's linked posts show, as the triage feed shows a post.</summary>
    public string? Lang { get; set; }
    public bool HasMedia { get; set; }
    public DateTime? EditedAt { get; set; }
    public DateTime? DeletedAt { get; set; }
}

public sealed class PostTriageRow
{
    public long PostId { get; set; }
    public int IncidentId { get; set; }
    public DateTime? FlaggedAt { get; set; }
    public string? FlaggedBy { get; set; }
    public DateTime? ReviewedAt { get; set; }
    public string? ReviewedBy { get; set; }
}

public sealed class RumourRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public string Claim { get; set; } = "";
    public string Severity { get; set; } = "";
    public string Owner { get; set; } = "";
    public string Status { get; set; } = "";
    public string[] Keywords { get; set; } = [];
    /// <summary>The version people see and name in a change (the UI's conflict message quotes it).</summary>
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
    /// <summary>PostgreSQL's xmin, the concurrency token: a save over a change made since this row was read fails.</summary>
    public uint RowVersion { get; set; }
}

public sealed class RumourNoteRow
{
    public long Id { get; set; }
    public int RumourId { get; set; }
    public DateTime At { get; set; }
    public string Author { get; set; } = "";
    public string? FromStatus { get; set; }
    public string? ToStatus { get; set; }
    public string Note { get; set; } = "";
}

public sealed class RumourPostRow
{
    public int RumourId { get; set; }
    public long PostId { get; set; }
    public DateTime LinkedAt { get; set; }
    public string LinkedBy { get; set; } = "";
}

public sealed class RumourStoryRow
{
    public int RumourId { get; set; }
    public long StoryId { get; set; }
    public DateTime LinkedAt { get; set; }
    public string LinkedBy { get; set; } = "";
}

public sealed class RumourSuggestionRow
{
    public long Id { get; set; }
    public int RumourId { get; set; }
    public long StoryId { get; set; }
    public long PostId { get; set; }
    public double Score { get; set; }
    public string Reason { get; set; } = "";
    public string State { get; set; } = "pending";
    public DateTime CreatedAt { get; set; }
    public string? DecidedBy { get; set; }
    public DateTime? DecidedAt { get; set; }
}

public sealed class RebuttalRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public int? RumourId { get; set; }
    public string Title { get; set; } = "";
    public string State { get; set; } = "";
    public int Version { get; set; }
    public string Author { get; set; } = "";
    public string[] Editors { get; set; } = [];
    public string? Approver { get; set; }
    public string? DecisionComment { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? DecidedAt { get; set; }
    public DateTime? PublishedAt { get; set; }
    public uint RowVersion { get; set; }
}

public sealed class RebuttalVersionRow
{
    public int RebuttalId { get; set; }
    public int Version { get; set; }
    /// <summary>The per-channel texts (jsonb).</summary>
    public string Variants { get; set; } = "{}";
    public string EditedBy { get; set; } = "";
    public DateTime EditedAt { get; set; }
    public string? Note { get; set; }
}

public sealed class RebuttalTemplateRow
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string Variants { get; set; } = "{}";
    public string CreatedBy { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class AlertRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public string Identifier { get; set; } = "";
    public int? ThreadRootId { get; set; }
    public string MsgType { get; set; } = "";
    public string CapStatus { get; set; } = "";
    public string Headline { get; set; } = "";
    public string CapXml { get; set; } = "";
    public string State { get; set; } = "";
    public string Author { get; set; } = "";
    public string[] Editors { get; set; } = [];
    public string? Approver { get; set; }
    public string? DecisionComment { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? DecidedAt { get; set; }
    public uint RowVersion { get; set; }
}

public sealed class DeliveryRow
{
    public long Id { get; set; }
    public int IncidentId { get; set; }
    public int? AlertId { get; set; }
    public int? RebuttalId { get; set; }
    /// <summary>The notification an email or SMS to one person carries (0840); exactly one subject per delivery.</summary>
    public long? NotificationId { get; set; }
    public string Channel { get; set; } = "";
    public Guid IdempotencyKey { get; set; }
    public string Status { get; set; } = "pending";
    public int Attempts { get; set; }
    public int RetryBase { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public string? Receipt { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    /// <summary>The recipient list an email or SMS delivery goes to (null for a channel post).</summary>
    public int? RecipientListId { get; set; }
    /// <summary>The reply in thread this delivery sends (at most one delivery per reply).</summary>
    public int? ReplyId { get; set; }
}

/// <summary>A post that asks the organisation something, or one an operator marked "needs an answer" (one per post).</summary>
public sealed class EnquiryRow
{
    public int Id { get; set; }
    public int IncidentId { get; set; }
    public long PostId { get; set; }
    public string Reason { get; set; } = "";
    public string Status { get; set; } = "open";
    public string? AssignedTo { get; set; }
    public DateTime? AssignedAt { get; set; }
    public string OpenedBy { get; set; } = "";
    public DateTime OpenedAt { get; set; }
    public DateTime? FirstAnsweredAt { get; set; }
    public DateTime? ClosedAt { get; set; }
}

/// <summary>What makes a post an enquiry, and how long an answer may take (one row, Admin-tunable).</summary>
public sealed class EnquiryRuleRow
{
    public bool Id { get; set; } = true;
    public bool RequireQuestion { get; set; }
    public string[] QuestionWords { get; set; } = [];
    public int SlaMinutes { get; set; }
    public string? UpdatedBy { get; set; }
    public DateTime UpdatedAt { get; set; }
}
