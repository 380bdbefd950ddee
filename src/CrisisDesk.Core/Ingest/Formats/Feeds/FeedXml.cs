using System.Text;
using System.Xml;
using CrisisDesk.Core.Xml;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>Opens outside XML through <see cref="SafeXml"/> and turns reader failures into reasons an operator understands.</summary>
internal static class FeedXml
{
    static FeedXml()
    {
        // Real feeds still declare windows-1252 and friends; .NET only knows them once the code-page provider is registered.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    public static XmlReader Open(ReadOnlyMemory<byte> document, long maxCharacters) =>
        SafeXml.Create(new MemoryStream(document.ToArray(), writable: false), maxCharacters);

    public static XmlReader Open(byte[] document, long maxCharacters) =>
        SafeXml.Create(new MemoryStream(document, writable: false), maxCharacters);

    /// <summary>Runs a read, mapping every XML failure to a <see cref="FeedFormatException"/> with a clear reason.</summary>
    public static T Read<T>(ReadOnlySpan<byte> document, Func<XmlReader, T> read, long maxCharacters = SafeXml.MaxDocumentCharacters)
    {
        var bytes = document.ToArray();
        try
        {
            using var reader = Open(bytes, maxCharacters);
            return read(reader);
        }
        catch (XmlException ex)
        {
            throw new FeedFormatException(Explain(ex, bytes), ex);
        }
        catch (ArgumentException ex) when (ex.Message.Contains("encoding", StringComparison.OrdinalIgnoreCase))
        {
            throw new FeedFormatException("unsupported encoding: " + ex.Message, ex);
        }
    }

    private static string Explain(XmlException ex, byte[] bytes)
    {
        if (ex is XmlLimitException)
        {
            return "refused: " + ex.Message;
        }

        if (DeclaresDtd(bytes))
        {
            return "refused: the document declares a DTD (<!DOCTYPE>); DTDs are never processed, so no external entity is fetched and no entity is expanded";
        }

        if (ex.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
        {
            return "refused: the document is larger than the size limit";
        }

        if (ex.Message.Contains("encoding", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("byte order mark", StringComparison.OrdinalIgnoreCase))
        {
            return $"invalid bytes for the declared encoding (line {ex.LineNumber}, position {ex.LinePosition}): {ex.Message}";
        }

        return "malformed XML: " + ex.Message;
    }

    private static bool DeclaresDtd(byte[] bytes)
    {
        // Looks at the prolog only (UTF-8/ASCII or UTF-16): a DOCTYPE can only come before the root element.
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, 4096));
        return head.IndexOf("<!DOCTYPE"u8) >= 0 || head.IndexOf(Encoding.Unicode.GetBytes("<!DOCTYPE")) >= 0;
    }

    /// <summary>
    /// The text of the current element (consumed): text and CDATA joined; child elements (Atom xhtml, unescaped HTML
    /// in RSS) contribute their text, with a space for each element so words do not run together.
    /// </summary>
    public static string ReadText(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return string.Empty;
        }

        var depth = reader.Depth;
        reader.Read();
        if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA)
        {
            var value = reader.Value;
            reader.Read();
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth)
            {
                reader.Read();
                return value;
            }

            return value + ReadRest(reader, depth);
        }

        return ReadRest(reader, depth);
    }

    private static string ReadRest(XmlReader reader, int depth)
    {
        var text = new StringBuilder();
        while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    text.Append(reader.Value);
                    break;
                case XmlNodeType.Element:
                    text.Append(' ');
                    break;
            }

            if (!reader.Read())
            {
                throw new XmlException("unexpected end of document");
            }
        }

        reader.Read();
        return text.ToString();
    }

    /// <summary>Calls <paramref name="child"/> for each child element of the current element; the callback must consume its element.</summary>
    public static void ForEachChild(XmlReader reader, Action<XmlReader> child)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return;
        }

        var depth = reader.Depth;
        reader.Read();
        while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                child(reader);
            }
            else if (!reader.Read())
            {
                throw new XmlException("unexpected end of document");
            }
        }

        reader.Read();
    }
}
