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
        if (FindInvalidUtf8(payload) is { } invalidAt)
        {
            error = $"invalid UTF-8 in frame at byte {invalidAt}";
            return null;
        }
        try
        {
            // JsonDocument checks structure and depth while it reads (string contents only when read, hence the check above).
            error = null;
            return JsonDocument.Parse(payload.ToArray(), Options);
        }
        catch (JsonException ex)
        {
            error = Describe(ex);
            return null;
        }
    }

    /// <summary>The offset of the first byte that is not valid UTF-8, or null when all of it is.</summary>
    public static int? FindInvalidUtf8(ReadOnlySpan<byte> payload)
    {
        if (System.Text.Unicode.Utf8.IsValid(payload))
        {
            return null;
        }
        var offset = 0;
        while (offset < payload.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(payload[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }
            offset += consumed;
        }
        return offset;
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
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
