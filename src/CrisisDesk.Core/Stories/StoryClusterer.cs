namespace CrisisDesk.Core.Stories;

/// <summary>
/// Groups near-duplicate posts (retweets, quote copies, the same headline from several outlets) into stories as they
/// arrive, one post at a time.
/// </summary>
/// <remarks>
/// MinHash-LSH over a post's normalised words finds candidate earlier posts in constant time per post; each candidate is
/// then checked exactly (word Jaccard, or word-pair containment for copies with a comment added), so the banding only
/// has to be generous, never precise. SimHash was not used: on 10-20 word posts one changed word flips many bits, and
/// it gives no exact overlap to verify against. Memory is bounded: only a few representatives per story are indexed,
/// buckets keep their newest entries, and everything older than the window leaves the index. Same input order, same
/// output: hashing is seeded with constants and ties go to the oldest story. Not thread-safe: one instance per pipeline.
/// </remarks>
public sealed class StoryClusterer
{
    private const int Bands = 20;
    private const int RowsPerBand = 2;
    private const int HashCount = Bands * RowsPerBand;

    private static readonly ulong[] Seeds = CreateSeeds();

    private readonly StoryClustererOptions _options;
    private readonly Dictionary<ulong, List<IndexedPost>> _buckets = new();
    private readonly Queue<IndexedPost> _indexedByArrival = new();
    private readonly Dictionary<long, StoryState> _stories = new();
    private readonly PriorityQueue<long, DateTimeOffset> _storiesByLatest = new();
    private readonly ulong[] _minHashes = new ulong[HashCount];
    private readonly HashSet<IndexedPost> _seenCandidates = new(ReferenceEqualityComparer.Instance);
    private long _nextStoryId = 1;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public StoryClusterer(StoryClustererOptions? options = null)
    {
        _options = options ?? new StoryClustererOptions();
        _options.Validate();
    }

    /// <summary>Stories still in the window.</summary>
    public int ActiveStoryCount => _stories.Count;

    /// <summary>Posts held in the index as story representatives.</summary>
    public int IndexedPostCount => _indexedByArrival.Count;

    public StoryAssignment Assign(string postId, string text, DateTimeOffset time)
    {
        ArgumentException.ThrowIfNullOrEmpty(postId);
        ArgumentNullException.ThrowIfNull(text);

        if (time > _watermark)
        {
            _watermark = time;
            EvictOlderThan(time - _options.Window);
        }

        var shingles = TextShingles.From(StoryTextNormaliser.Tokenise(text));
        if (shingles.IsEmpty)
        {
            // Nothing left to compare (a bare link or emoji): a story of its own, never a match for anything.
            var lone = NewStory(postId, time);
            return new StoryAssignment(lone.Id, true, 0, lone.Summary(_options.GrowthMinutes));
        }

        ComputeMinHashes(shingles.Words);
        var bandKeys = new ulong[Bands];
        for (var b = 0; b < Bands; b++)
        {
            bandKeys[b] = BandKey(b);
        }

        var (best, bestSimilarity) = FindBestMatch(shingles, bandKeys);
        StoryState story;
        bool isNew;
        if (best is null)
        {
            story = NewStory(postId, time);
            isNew = true;
        }
        else
        {
            story = _stories[best.StoryId];
            story.Add(time);
            isNew = false;
        }

        var refreshesStaleMember = best is not null && best.Time < time - (_options.Window / 2);
        var addsVariety = best is null || (bestSimilarity < _options.RepresentativeNoveltyBelow
            && story.IndexedRepresentatives < _options.MaxRepresentativesPerStory);
        if (addsVariety || refreshesStaleMember)
        {
            Index(new IndexedPost(story.Id, time, shingles, bandKeys), story);
        }

        return new StoryAssignment(story.Id, isNew, bestSimilarity, story.Summary(_options.GrowthMinutes));
    }

    public bool TryGetStory(long storyId, out StorySummary? summary)
    {
        if (_stories.TryGetValue(storyId, out var state))
        {
            summary = state.Summary(_options.GrowthMinutes);
            return true;
        }

        summary = null;
        return false;
    }

    /// <summary>Whether two texts count as copies of one message under these options (the test the clusterer applies).</summary>
    public bool AreNearDuplicates(string a, string b)
    {
        var (jaccard, containment, _) = Compare(
            TextShingles.From(StoryTextNormaliser.Tokenise(a)),
            TextShingles.From(StoryTextNormaliser.Tokenise(b)));
        return jaccard >= _options.MinWordJaccard || containment >= _options.MinWordPairContainment;
    }

    private (IndexedPost? Best, double Similarity) FindBestMatch(TextShingles shingles, ulong[] bandKeys)
    {
        IndexedPost? best = null;
        var bestScore = 0.0;
        var oldest = _watermark - _options.Window;
        _seenCandidates.Clear();
        foreach (var key in bandKeys)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                continue;
            }

            foreach (var candidate in bucket)
            {
                if (!_seenCandidates.Add(candidate) || candidate.Time < oldest || !_stories.ContainsKey(candidate.StoryId))
                {
                    continue;
                }

                var (jaccard, containment, score) = Compare(shingles, candidate.Shingles);
                if (jaccard < _options.MinWordJaccard && containment < _options.MinWordPairContainment)
                {
                    continue;
                }

                if (score > bestScore || (score == bestScore && best is not null && candidate.StoryId < best.StoryId))
                {
                    best = candidate;
                    bestScore = score;
                }
            }
        }

        return (best, best is null ? 0 : bestScore);
    }

    /// <summary>Word-set Jaccard, word-pair containment (0 when either post is too short for it) and the larger of the two.</summary>
    private (double Jaccard, double Containment, double Score) Compare(TextShingles a, TextShingles b)
    {
        if (a.IsEmpty || b.IsEmpty)
        {
            return (0, 0, 0);
        }

        var common = TextShingles.IntersectionCount(a.Words, b.Words);
        var jaccard = (double)common / (a.Words.Length + b.Words.Length - common);
        var shorterPairs = Math.Min(a.WordPairs.Length, b.WordPairs.Length);
        var containment = shorterPairs < _options.MinWordPairsForContainment
            ? 0
            : (double)TextShingles.IntersectionCount(a.WordPairs, b.WordPairs) / shorterPairs;
        return (jaccard, containment, Math.Max(jaccard, containment));
    }

    private void ComputeMinHashes(ulong[] words)
    {
        Array.Fill(_minHashes, ulong.MaxValue);
        foreach (var w in words)
        {
            for (var i = 0; i < HashCount; i++)
            {
                var h = StableHash.Mix(w ^ Seeds[i]);
                if (h < _minHashes[i])
                {
                    _minHashes[i] = h;
                }
            }
        }
    }

    private ulong BandKey(int band)
    {
        var key = StableHash.Mix((ulong)band + 0x9e3779b97f4a7c15UL);
        for (var r = 0; r < RowsPerBand; r++)
        {
            key = StableHash.Mix(key ^ _minHashes[(band * RowsPerBand) + r]);
        }

        return key;
    }

    private void Index(IndexedPost post, StoryState story)
    {
        foreach (var key in post.BandKeys)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                bucket = new List<IndexedPost>(2);
                _buckets[key] = bucket;
            }

            if (bucket.Count >= _options.MaxBucketEntries)
            {
                bucket.RemoveAt(0);
            }

            bucket.Add(post);
        }

        story.IndexedRepresentatives++;
        _indexedByArrival.Enqueue(post);
    }

    private StoryState NewStory(string postId, DateTimeOffset time)
    {
        var story = new StoryState(_nextStoryId++, postId, time, _options.GrowthMinutes);
        _stories[story.Id] = story;
        _storiesByLatest.Enqueue(story.Id, time);
        return story;
    }

    private void EvictOlderThan(DateTimeOffset oldest)
    {
        // Arrival order is near enough to time order for eviction; a late post just leaves a little later.
        while (_indexedByArrival.Count > 0 && _indexedByArrival.Peek().Time < oldest)
        {
            var post = _indexedByArrival.Dequeue();
            foreach (var key in post.BandKeys)
            {
                if (_buckets.TryGetValue(key, out var bucket))
                {
                    bucket.Remove(post);
                    if (bucket.Count == 0)
                    {
                        _buckets.Remove(key);
                    }
                }
            }

            if (_stories.TryGetValue(post.StoryId, out var story))
            {
                story.IndexedRepresentatives--;
            }
        }

        // Each story sits in the queue under the latest time it had when queued; a story that grew since is queued
        // again under its new latest time instead of being expired (lazy, so a post costs O(log stories)).
        while (_storiesByLatest.TryPeek(out var id, out var queuedLatest) && queuedLatest < oldest)
        {
            _storiesByLatest.Dequeue();
            if (!_stories.TryGetValue(id, out var story))
            {
                continue;
            }

            if (story.LatestPostAt < oldest)
            {
                _stories.Remove(id);
            }
            else
            {
                _storiesByLatest.Enqueue(id, story.LatestPostAt);
            }
        }
    }

    private static ulong[] CreateSeeds()
    {
        var seeds = new ulong[HashCount];
        var s = 0x2545F4914F6CDD1DUL;
        for (var i = 0; i < seeds.Length; i++)
        {
            s = StableHash.Mix(s + 0x9e3779b97f4a7c15UL);
            seeds[i] = s;
        }

        return seeds;
    }

    private sealed record IndexedPost(long StoryId, DateTimeOffset Time, TextShingles Shingles, ulong[] BandKeys);

    private sealed class StoryState
    {
        private readonly long[] _minuteOf;
        private readonly int[] _countIn;

        public StoryState(long id, string firstPostId, DateTimeOffset time, int growthMinutes)
        {
            Id = id;
            FirstPostId = firstPostId;
            FirstPostAt = time;
            LatestPostAt = time;
            _minuteOf = new long[growthMinutes];
            _countIn = new int[growthMinutes];
            Array.Fill(_minuteOf, long.MinValue);
            Count(time);
        }

        public long Id { get; }

        public string FirstPostId { get; }

        public DateTimeOffset FirstPostAt { get; private set; }

        public DateTimeOffset LatestPostAt { get; private set; }

        public int Size { get; private set; } = 1;

        public int IndexedRepresentatives { get; set; }

        public void Add(DateTimeOffset time)
        {
            Size++;
            if (time > LatestPostAt)
            {
                LatestPostAt = time;
            }

            if (time < FirstPostAt)
            {
                FirstPostAt = time;
            }

            Count(time);
        }

        public StorySummary Summary(int growthMinutes)
        {
            var latestMinute = MinuteOf(LatestPostAt);
            var recent = 0;
            for (var i = 0; i < _minuteOf.Length; i++)
            {
                if (_minuteOf[i] > latestMinute - growthMinutes && _minuteOf[i] <= latestMinute)
                {
                    recent += _countIn[i];
                }
            }

            return new StorySummary(Id, FirstPostId, Size, FirstPostAt, LatestPostAt, (double)recent / growthMinutes);
        }

        private void Count(DateTimeOffset time)
        {
            // A ring of per-minute counts, one slot per minute of the growth window.
            var minute = MinuteOf(time);
            var slot = (int)(((minute % _minuteOf.Length) + _minuteOf.Length) % _minuteOf.Length);
            if (_minuteOf[slot] == minute)
            {
                _countIn[slot]++;
            }
            else if (_minuteOf[slot] < minute)
            {
                _minuteOf[slot] = minute;
                _countIn[slot] = 1;
            }
        }

        private static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / 60;
    }
}
