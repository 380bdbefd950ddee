using System.Buffers;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// How the streaming normalisers mark edits and deletions on a <see cref="Post"/>, in <see cref="Post.Extra"/>.
/// <para>
/// An <b>edit</b> (Mastodon <c>status.update</c>, Bluesky <c>update</c>) keeps the original <see cref="Post.ExternalId"/> and
/// carries <c>"version"</c> (Mastodon: the <c>edited_at</c> time; Bluesky: the record CID) and <c>"edited": true</c>.
/// The pipeline stores it as a new version of the stored post (keeping the earlier text), not as a new post:
/// dedupe such a post by (platform, external id, version).
/// </para>
/// <para>
/// A <b>deletion</b> is a marker: <see cref="Post.Text"/> empty, <c>"deleted": true</c> in Extra. The pipeline marks the
/// stored post with that external id as deleted (keeping its text for the record) and stores nothing when none exists.
/// A marker's <see cref="Post.CreatedAt"/> is only the best time known for the deletion, never the post's own time.
/// </para>
/// </summary>
public static class StreamPostMarkers
{
    public const string DeletedKey = "deleted";
    public const string EditedKey = "edited";
    public const string VersionKey = "version";

    /// <summary>True when <paramref name="post"/> is a deletion marker, to be applied to the stored post rather than stored.</summary>
    public static bool IsDeletion(Post post) => ReadBool(post.Extra, DeletedKey);

    /// <summary>True when <paramref name="post"/> is a later version of a post already published under the same external id.</summary>
    public static bool IsEdit(Post post) => ReadBool(post.Extra, EditedKey);

    /// <summary>The version label of an edit (or of an original post that has one), else null.</summary>
    public static string? VersionOf(Post post)
    {
        if (post.Extra is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(post.Extra);
        return doc.RootElement.GetString(VersionKey);
    }

    /// <summary>The marker the pipeline applies to the stored post with <paramref name="externalId"/>.</summary>
    public static Post Deletion(string platform, string externalId, DateTimeOffset when, Action<Utf8JsonWriter>? extra = null) => new()
    {
        Platform = platform,
        ExternalId = externalId,
        CreatedAt = when,
        Text = string.Empty,
        Extra = BuildExtra(w =>
        {
            w.WriteBoolean(DeletedKey, true);
            extra?.Invoke(w);
        }),
    };

    /// <summary>Writes a JSON object with the given properties: the way every streaming normaliser fills Extra.</summary>
    internal static string BuildExtra(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static bool ReadBool(string? extra, string key)
    {
        if (extra is null)
        {
            return false;
        }
        using var doc = JsonDocument.Parse(extra);
        return doc.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.True;
    }
}
