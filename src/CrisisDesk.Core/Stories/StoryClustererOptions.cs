namespace CrisisDesk.Core.Stories;

/// <summary>Tuning of <see cref="StoryClusterer"/>. The defaults were chosen on the labelled sample in the unit-test fixtures.</summary>
public sealed record StoryClustererOptions
{
    /// <summary>A story that has had no new post for this long leaves the index; a later copy starts a new story.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Two posts are copies when their word sets overlap at least this much (Jaccard).</summary>
    public double MinWordJaccard { get; init; } = 0.6;

    /// <summary>
    /// ...or when this share of the shorter post's word pairs appears in the longer one: catches a copy with a comment
    /// added ("Oh dear RT @x: ...") or a headline cut short.
    /// </summary>
    public double MinWordPairContainment { get; init; } = 0.6;

    /// <summary>Containment is only trusted for posts with at least this many word pairs (short texts match too easily).</summary>
    public int MinWordPairsForContainment { get; init; } = 5;

    /// <summary>At most this many members of one story are kept in the index as its representatives.</summary>
    public int MaxRepresentativesPerStory { get; init; } = 8;

    /// <summary>A member closer than this to the representative it matched adds nothing and is not indexed.</summary>
    public double RepresentativeNoveltyBelow { get; init; } = 0.9;

    /// <summary>Each LSH bucket keeps only its most recent entries, bounding the work per post in hashtag storms.</summary>
    public int MaxBucketEntries { get; init; } = 32;

    /// <summary>The window over which <see cref="StorySummary.GrowthPerMinute"/> is averaged.</summary>
    public int GrowthMinutes { get; init; } = 5;

    internal void Validate()
    {
        if (Window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "The window must be positive.");
        }

        if (MinWordJaccard is <= 0 or > 1 || MinWordPairContainment is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinWordJaccard), "Similarity thresholds must be in (0, 1].");
        }

        if (MaxRepresentativesPerStory < 1 || MaxBucketEntries < 1 || GrowthMinutes < 1 || MinWordPairsForContainment < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRepresentativesPerStory), "Counts must be at least 1.");
        }
    }
}

/// <summary>What a story looks like after its latest post.</summary>
/// <param name="GrowthPerMinute">Posts per minute over the last <see cref="StoryClustererOptions.GrowthMinutes"/> minutes up to the latest post.</param>
public sealed record StorySummary(
    long Id,
    string FirstPostId,
    int Size,
    DateTimeOffset FirstPostAt,
    DateTimeOffset LatestPostAt,
    double GrowthPerMinute);

/// <summary>The story a post was put in; <paramref name="Similarity"/> is to the closest member (0 for a new story).</summary>
public readonly record struct StoryAssignment(long StoryId, bool IsNewStory, double Similarity, StorySummary Story);
