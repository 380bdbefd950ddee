namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>The normalisers by format name. Connectors register theirs here too.</summary>
public sealed class PostFormats
{
    private readonly Dictionary<string, IPostNormaliser> _byFormat;

    public PostFormats(IEnumerable<IPostNormaliser> normalisers) =>
        _byFormat = normalisers.ToDictionary(n => n.Format, StringComparer.Ordinal);

    /// <summary>The replay formats: recorded data sets and CrisisDesk's own JSON Lines.</summary>
    public static IReadOnlyList<IPostNormaliser> Replay { get; } = [new XV1TweetFormat(), new CrisisLexCsvFormat(), new PostJsonLinesFormat()];

    /// <summary>What the streaming connectors (X, Mastodon, Bluesky) emit.</summary>
    public static IReadOnlyList<IPostNormaliser> Streams { get; } = [new XStreamNormaliser(), new MastodonStatusNormaliser(), new BlueskyJetstreamNormaliser()];

    /// <summary>Every format this build can read: replay, streams, news and CAP feeds.</summary>
    public static PostFormats Default { get; } = new([.. Replay, .. Streams, .. Feeds.FeedNormalisers.All]);

    public IPostNormaliser this[string format] =>
        _byFormat.TryGetValue(format, out var normaliser) ? normaliser
        : throw new KeyNotFoundException($"No normaliser for format \"{format}\"; known: {string.Join(", ", _byFormat.Keys)}.");

    /// <summary>
    /// The item as a post ready to store (see <see cref="StorablePost"/>): an absurdly large item is quarantined, and
    /// whatever the platform, characters the database refuses are replaced and over-long text is cut with a marker.
    /// </summary>
    public NormaliseResult Normalise(RawItem item)
    {
        if (!_byFormat.TryGetValue(item.Format, out var normaliser))
        {
            return NormaliseResult.Malformed($"no normaliser for format \"{item.Format}\"");
        }
        if (StorablePost.RefuseRaw(item.Payload.Length) is { } tooLarge)
        {
            return NormaliseResult.Malformed(tooLarge);
        }
        NormaliseResult result;
        try
        {
            result = normaliser.Normalise(item.Payload.Span);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException or System.Text.Json.JsonException)
        {
            // A normaliser that trips over an item (e.g. a JSON string escaping half a surrogate pair) quarantines it; it never stops the source.
            return NormaliseResult.Malformed(StorablePost.Text($"the item could not be read: {e.Message}"));
        }
        return result.Post is { } post ? NormaliseResult.Ok(StorablePost.Clean(post))
            : result.Error is { } reason ? NormaliseResult.Malformed(StorablePost.Text(reason))
            : result;
    }
}
