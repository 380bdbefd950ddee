using System.Xml;

namespace CrisisDesk.Core.Xml;

/// <summary>
/// The only way CrisisDesk reads XML from outside (feeds, CAP alerts): DTDs are refused outright, so external
/// entities and entity-expansion bombs never get a chance, nothing is ever fetched by the parser, and size is capped.
/// </summary>
public static class SafeXml
{
    /// <summary>Largest document accepted, in characters: a CAP alert or a feed page is far below this.</summary>
    public const long MaxDocumentCharacters = 8 * 1024 * 1024;

    public static XmlReaderSettings ReaderSettings(long maxCharacters = MaxDocumentCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
        Async = true,
    };

    public static XmlReader Create(Stream input, long maxCharacters = MaxDocumentCharacters) =>
        XmlReader.Create(input, ReaderSettings(maxCharacters));

    public static XmlReader Create(TextReader input, long maxCharacters = MaxDocumentCharacters) =>
        XmlReader.Create(input, ReaderSettings(maxCharacters));
}
