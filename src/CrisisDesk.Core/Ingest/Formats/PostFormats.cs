namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>The normalisers by format name. Connectors register theirs here too.</summary>
public sealed class PostFormats
{
    private readonly Dictionary<string, IPostNormaliser> _byFormat;

    public PostFormats(IEnumerable<IPostNormaliser> normalisers) =>
        _byFormat = normalisers.ToDictionary(n => n.Format, StringComparer.Ordinal);

    /// <summary>The formats every install has: the replay formats.</summary>
    public static PostFormats Default { get; } = new([new XV1TweetFormat(), new CrisisLexCsvFormat(), new PostJsonLinesFormat()]);

    public IPostNormaliser this[string format] =>
        _byFormat.TryGetValue(format, out var normaliser) ? normaliser
        : throw new KeyNotFoundException($"No normaliser for format \"{format}\"; known: {string.Join(", ", _byFormat.Keys)}.");

    public NormaliseResult Normalise(RawItem item) =>
        _byFormat.TryGetValue(item.Format, out var normaliser)
            ? normaliser.Normalise(item.Payload.Span)
            : NormaliseResult.Malformed($"no normaliser for format \"{item.Format}\"");
}
