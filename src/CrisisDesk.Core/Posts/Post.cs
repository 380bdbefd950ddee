using CrisisDesk.Core.Classification;

namespace CrisisDesk.Core.Posts;

/// <summary>
/// A post or media mention in the one shape every source is normalised to.
/// <see cref="Platform"/> and <see cref="ExternalId"/> identify it: the pipeline stores each pair once per incident.
/// </summary>
public sealed record Post
{
    /// <summary>Where it was published: <c>x</c>, <c>mastodon</c>, <c>bluesky</c>, <c>news</c>, <c>cap</c>.</summary>
    public required string Platform { get; init; }

    /// <summary>The platform's own identifier (tweet id, status URI, at:// URI, feed item guid).</summary>
    public required string ExternalId { get; init; }

    /// <summary>When the author published it (the event time replay and charts use).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    public string? AuthorHandle { get; init; }
    public string? AuthorName { get; init; }

    /// <summary>Plain text as the platform gave it. Always rendered as text, never as markup.</summary>
    public required string Text { get; init; }

    public string? Url { get; init; }
    public string? Language { get; init; }
    public bool HasMedia { get; init; }

    /// <summary>Source-specific details kept for the record (labels, rule tags, outlet, alert fields), as a JSON object, or null.</summary>
    public string? Extra { get; init; }
}

/// <summary>A post once it is durable: what the war room shows and the live feed carries.</summary>
public sealed record StoredPost(long Id, int IncidentId, int SourceId, DateTimeOffset ReceivedAt, Post Post)
{
    /// <summary>The story (group of near-duplicates) the pipeline's cluster stage put it in, or null when none ran.</summary>
    public long? StoryId { get; init; }

    /// <summary>What the post is about and its mood, from the pipeline's classification stage; null when none ran.</summary>
    public PostClassification? Classification { get; init; }
}

public enum PostChangeKind
{
    /// <summary>A new version of the post was stored; the post now shows the latest version's text.</summary>
    Edited,

    /// <summary>The author deleted the post; it is kept, with its text, and marked deleted.</summary>
    Deleted,
}

/// <summary>A committed change to a post already stored: what open war rooms need to know to show it again.</summary>
/// <param name="Version">The edit's version label; null for a deletion.</param>
/// <param name="At">When CrisisDesk received the change.</param>
public sealed record PostChange(long PostId, int IncidentId, PostChangeKind Kind, string? Version, DateTimeOffset At);
