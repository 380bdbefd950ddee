using System.Text;
using System.Text.Json;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>Shared checks every normaliser applies to a payload before reading it.</summary>
public static class PayloadText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>JSON deeper than this is refused: real post objects nest a handful of levels.</summary>
    public const int MaxJsonDepth = 64;

    public static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = MaxJsonDepth, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Decodes UTF-8 strictly; on invalid bytes returns null and says where.</summary>
    public static string? DecodeUtf8(ReadOnlySpan<byte> payload, out string? error)
    {
        try
        {
            error = null;
            return StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException e)
        {
            error = $"the payload is not valid UTF-8 (byte offset {e.Index}); was it saved in another encoding?";
            return null;
        }
    }

    /// <summary>Parses JSON strictly (valid UTF-8, bounded depth); on failure returns null with a reason a person can act on.</summary>
    public static JsonDocument? ParseJson(ReadOnlySpan<byte> payload, out string? error)
    {
        // Validate without decoding (the common case); decode only to say where a bad byte is.
        if (!System.Text.Unicode.Utf8.IsValid(payload) && DecodeUtf8(payload, out error) is null)
            return null;
        error = null;
        try
        {
            // JsonDocument.Parse wants memory it can keep; the payload is small, so copying is cheaper than plumbing lifetimes.
            return JsonDocument.Parse(payload.ToArray(), JsonOptions);
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return null;
        }
    }

    /// <summary>A compact JSON object of the given members, or null when they are all null.</summary>
    public static string? ExtraJson(params (string Name, string? Value)[] members)
    {
        if (members.All(m => m.Value is null))
            return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in members)
            {
                if (value is not null)
                    writer.WriteString(name, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
