using System.Xml;

namespace CrisisDesk.Core.Xml;

/// <summary>
/// The only way CrisisDesk reads XML from outside (feeds, CAP alerts): DTDs are refused outright, so external
/// entities and entity-expansion bombs never get a chance, nothing is ever fetched by the parser, and size, nesting
/// depth and element count are capped while the document is read, before any tree is built or walked recursively.
/// </summary>
public static class SafeXml
{
    /// <summary>Largest document accepted, in characters: a CAP alert or a feed page is far below this.</summary>
    public const long MaxDocumentCharacters = 8 * 1024 * 1024;

    /// <summary>
    /// Deepest element nesting accepted (the root is depth 1). A CAP alert is 5 deep and a feed with XHTML content
    /// a few dozen; a deeper document is an attack on every recursive walk after the parser (XElement.Value, schema
    /// validation, serialisation), which would end the process with a stack overflow.
    /// </summary>
    public const int MaxElementDepth = 100;

    /// <summary>Most elements accepted in one document: a feed page of hundreds of entries holds a few thousand.</summary>
    public const int MaxElements = 100_000;

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
        new BoundedXmlReader(XmlReader.Create(input, ReaderSettings(maxCharacters)), MaxElementDepth, MaxElements);

    public static XmlReader Create(TextReader input, long maxCharacters = MaxDocumentCharacters) =>
        new BoundedXmlReader(XmlReader.Create(input, ReaderSettings(maxCharacters)), MaxElementDepth, MaxElements);
}

/// <summary>A document refused for its shape (too deep, too many elements) rather than for its syntax.</summary>
public sealed class XmlLimitException(string message, int lineNumber, int linePosition) : XmlException(message, null, lineNumber, linePosition);

/// <summary>
/// Passes every call to the parser it wraps and counts as it reads: an element deeper than the limit, or one element
/// too many, ends the read with <see cref="XmlLimitException"/>. Every other way of moving (Skip, ReadSubtree,
/// ReadInnerXml, ReadElementContentAs…) is XmlReader's own, built on <see cref="Read"/>, so nothing reads past the count.
/// </summary>
internal sealed class BoundedXmlReader(XmlReader inner, int maxDepth, int maxElements) : XmlReader, IXmlLineInfo
{
    private int _elements;

    public override bool Read() => Counted(inner.Read());

    public override async Task<bool> ReadAsync() => Counted(await inner.ReadAsync().ConfigureAwait(false));

    private bool Counted(bool read)
    {
        if (read && inner.NodeType == XmlNodeType.Element)
        {
            // XmlReader's depth is 0 at the root element.
            if (inner.Depth >= maxDepth)
            {
                throw Refused($"the document nests elements more than {maxDepth} deep (<{inner.LocalName}> at line {LineNumber}); no real CAP alert or feed comes near that");
            }

            if (++_elements > maxElements)
            {
                throw Refused($"the document has more than {maxElements} elements; no real CAP alert or feed comes near that");
            }
        }

        return read;
    }

    private XmlLimitException Refused(string message) => new(message, LineNumber, LinePosition);

    public int LineNumber => inner is IXmlLineInfo info ? info.LineNumber : 0;
    public int LinePosition => inner is IXmlLineInfo info ? info.LinePosition : 0;
    public bool HasLineInfo() => inner is IXmlLineInfo info && info.HasLineInfo();

    public override XmlReaderSettings? Settings => inner.Settings;
    public override int AttributeCount => inner.AttributeCount;
    public override string BaseURI => inner.BaseURI;
    public override int Depth => inner.Depth;
    public override bool EOF => inner.EOF;
    public override bool HasValue => inner.HasValue;
    public override bool IsDefault => inner.IsDefault;
    public override bool IsEmptyElement => inner.IsEmptyElement;
    public override string LocalName => inner.LocalName;
    public override string Name => inner.Name;
    public override string NamespaceURI => inner.NamespaceURI;
    public override XmlNameTable NameTable => inner.NameTable;
    public override XmlNodeType NodeType => inner.NodeType;
    public override string Prefix => inner.Prefix;
    public override char QuoteChar => inner.QuoteChar;
    public override ReadState ReadState => inner.ReadState;
    public override string Value => inner.Value;
    public override string XmlLang => inner.XmlLang;
    public override XmlSpace XmlSpace => inner.XmlSpace;
    public override Type ValueType => inner.ValueType;
    public override Task<string> GetValueAsync() => inner.GetValueAsync();
    public override string GetAttribute(int i) => inner.GetAttribute(i);
    public override string? GetAttribute(string name) => inner.GetAttribute(name);
    public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);
    public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);
    public override void MoveToAttribute(int i) => inner.MoveToAttribute(i);
    public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);
    public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);
    public override bool MoveToElement() => inner.MoveToElement();
    public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();
    public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();
    public override bool ReadAttributeValue() => inner.ReadAttributeValue();
    public override void ResolveEntity() => inner.ResolveEntity();
    public override bool CanResolveEntity => inner.CanResolveEntity;
    public override void Close() => inner.Close();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
