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

    public NormaliseResult Normalise(RawItem item) =>
        _byFormat.TryGetValue(item.Format, out var normaliser)
            ? normaliser.Normalise(item.Payload.Span)
            : NormaliseResult.Malformed($"no normaliser for format \"{item.Format}\"");
}
