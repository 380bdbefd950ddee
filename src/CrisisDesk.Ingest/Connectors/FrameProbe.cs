using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// The connectors' quick look into a frame (its id, for dedupe and cursors; its text, for keyword filters). A frame it
/// cannot read gets no identity and goes to the normaliser whole, to be quarantined with the exact reason.
/// </summary>
internal static class FrameProbe
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = StreamFormats.MaxJsonDepth };

    public static JsonDocument? TryParse(ReadOnlyMemory<byte> frame)
    {
        // JsonDocument checks UTF-8 in strings only when they are read: an invalid frame must not lend its id to dedupe.
        if (frame.IsEmpty || !System.Text.Unicode.Utf8.IsValid(frame.Span))
        {
            return null;
        }
        try
        {
            return JsonDocument.Parse(frame, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? String(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static JsonElement? Object(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;
}
