using System.Text.Json;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>Parses untrusted stream frames with the shared limits, turning every refusal into one clear reason.</summary>
internal static class StreamJson
{
    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = StreamFormats.MaxJsonDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Parses <paramref name="payload"/> or returns why not (oversized, invalid UTF-8, too deep, malformed).</summary>
    public static JsonDocument? TryParse(ReadOnlySpan<byte> payload, out string? error)
    {
        if (payload.Length > StreamFormats.MaxFrameBytes)
        {
            error = $"frame of at least {payload.Length} bytes exceeds the {StreamFormats.MaxFrameBytes}-byte limit (cut short by the connector)";
            return null;
        }
        if (payload.IsEmpty)
        {
            error = "empty frame";
            return null;
        }
        try
        {
            // System.Text.Json validates UTF-8 and the depth limit while it reads; the copy is what JsonDocument keeps.
            error = null;
            return JsonDocument.Parse(payload.ToArray(), Options);
        }
        catch (JsonException ex)
        {
            error = Describe(ex);
            return null;
        }
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || message.Contains("UTF8", StringComparison.OrdinalIgnoreCase))
        {
            return $"invalid UTF-8 in frame (byte {ex.BytePositionInLine} of line {ex.LineNumber})";
        }
        if (message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            return $"JSON nested deeper than {StreamFormats.MaxJsonDepth} levels";
        }
        return $"malformed JSON: {message}";
    }

    public static string? GetString(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static JsonElement? GetObject(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static JsonElement? GetArray(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value
            : null;

    public static DateTimeOffset? GetTimestamp(this JsonElement element, string property) =>
        element.GetString(property) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value.ToUniversalTime()
            : null;
}
