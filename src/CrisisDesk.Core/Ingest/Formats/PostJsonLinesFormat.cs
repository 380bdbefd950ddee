using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// One line of JSON Lines in CrisisDesk's own normalised shape: the <see cref="Post"/> properties in camelCase
/// (<c>platform</c>, <c>externalId</c>, <c>createdAt</c> as RFC 3339, <c>text</c> required; the rest optional).
/// This is what <c>probe</c> prints and what exports write, so any of them can be replayed.
/// </summary>
public sealed class PostJsonLinesFormat : IPostNormaliser
{
    public const string Name = "post.jsonl";

    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web) { MaxDepth = PayloadText.MaxJsonDepth };

    public string Format => Name;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        using var document = PayloadText.ParseJson(payload, out var error);
        if (document is null)
            return NormaliseResult.Malformed(error!);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return NormaliseResult.Malformed($"a post line must be a JSON object, not {root.ValueKind}");
        var platform = Text(root, "platform");
        var externalId = Text(root, "externalId");
        var text = Text(root, "text");
        var missing = new[] { ("platform", platform), ("externalId", externalId), ("text", text) }.Where(f => f.Item2 is null).Select(f => f.Item1).ToList();
        var created = default(DateTimeOffset);
        if (!root.TryGetProperty("createdAt", out var createdElement) || createdElement.ValueKind != JsonValueKind.String
            || !createdElement.TryGetDateTimeOffset(out created))
            missing.Add("createdAt (RFC 3339)");
        if (missing.Count > 0)
            return NormaliseResult.Malformed($"the post line lacks {string.Join(", ", missing)}");
        string? extra = null;
        if (root.TryGetProperty("extra", out var extraElement) && extraElement.ValueKind == JsonValueKind.Object)
            extra = extraElement.GetRawText();
        return NormaliseResult.Ok(new Post
        {
            Platform = platform!,
            ExternalId = externalId!,
            CreatedAt = created,
            AuthorHandle = Text(root, "authorHandle"),
            AuthorName = Text(root, "authorName"),
            Text = text!,
            Url = Text(root, "url"),
            Language = Text(root, "language"),
            HasMedia = root.TryGetProperty("hasMedia", out var media) && media.ValueKind == JsonValueKind.True,
            Extra = extra,
        });
    }

    /// <summary>Writes a post as one line of this format (no trailing newline).</summary>
    public static string ToLine(Post post)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("platform", post.Platform);
            writer.WriteString("externalId", post.ExternalId);
            writer.WriteString("createdAt", post.CreatedAt);
            if (post.AuthorHandle is not null) writer.WriteString("authorHandle", post.AuthorHandle);
            if (post.AuthorName is not null) writer.WriteString("authorName", post.AuthorName);
            writer.WriteString("text", post.Text);
            if (post.Url is not null) writer.WriteString("url", post.Url);
            if (post.Language is not null) writer.WriteString("language", post.Language);
            if (post.HasMedia) writer.WriteBoolean("hasMedia", true);
            if (post.Extra is not null)
            {
                writer.WritePropertyName("extra");
                writer.WriteRawValue(post.Extra);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
