using System.Buffers;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// How the streaming normalisers mark edits and deletions on a <see cref="Post"/>, in <see cref="Post.Extra"/>.
/// <para>
/// An <b>edit</b> (Mastodon <c>status.update</c>, Bluesky <c>update</c>, an X post whose <c>edit_history_tweet_ids</c> begins
/// with an earlier post) keeps the original <see cref="Post.ExternalId"/> and carries <c>"version"</c> (Mastodon: the
/// <c>edited_at</c> time; Bluesky: the record CID; X: the edit's own post id) and <c>"edited": true</c>.
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

    /// <summary>
    /// What <paramref name="post"/> is to the pipeline: a post, an edit (with its version label and time) or a deletion.
    /// Cheap for ordinary posts: Extra is parsed only when it names one of the markers (as the normalisers write them,
    /// unescaped), so the write path pays a substring test per post, not a JSON parse.
    /// </summary>
    public static PostMarker Read(Post post)
    {
        var extra = post.Extra;
        if (extra is null
            || (!extra.Contains("\"" + EditedKey + "\"", StringComparison.Ordinal) && !extra.Contains("\"" + DeletedKey + "\"", StringComparison.Ordinal)))
        {
            return PostMarker.Plain;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(extra);
        }
        catch (JsonException)
        {
            // Extra comes from normalisers (valid JSON); a replayed file could hold anything: then it is no marker.
            return PostMarker.Plain;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return PostMarker.Plain;
            }
            if (root.TryGetProperty(DeletedKey, out var deleted) && deleted.ValueKind == JsonValueKind.True)
            {
                return new PostMarker(PostMarkerKind.Deletion, null, null);
            }
            if (!root.TryGetProperty(EditedKey, out var edited) || edited.ValueKind != JsonValueKind.True)
            {
                return PostMarker.Plain;
            }
            // The version names the edit; without one (a platform that sent none), the text does: a re-delivery of the
            // same edit then still has the same label.
            var version = root.GetString(VersionKey) is { Length: > 0 } label ? label : "text:" + TextDigest(post.Text);
            return new PostMarker(PostMarkerKind.Edit, version, VersionTime(root));
        }
    }

    /// <summary>When the author made this version, as the platform says: Mastodon's <c>edited_at</c>, Jetstream's <c>time_us</c>.</summary>
    private static DateTimeOffset? VersionTime(JsonElement extra)
    {
        if (extra.GetString("edited_at") is { } editedAt
            && DateTimeOffset.TryParse(editedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }
        if (extra.TryGetProperty("time_us", out var micros) && micros.TryGetInt64(out var us) && us is > 0 and < 4_102_444_800_000_000)
        {
            return DateTimeOffset.UnixEpoch.AddTicks(us * 10);
        }
        return null;
    }

    private static string TextDigest(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..12]);
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

public enum PostMarkerKind
{
    /// <summary>An ordinary post: stored once per (incident, platform, external id).</summary>
    Post,

    /// <summary>A later version of the post with the same external id: kept as a version, shown as its text.</summary>
    Edit,

    /// <summary>The author deleted the post with this external id: marked on the stored post, which keeps its text.</summary>
    Deletion,
}

/// <summary>What <see cref="StreamPostMarkers.Read"/> found on a post.</summary>
/// <param name="Version">An edit's version label (never null for an edit).</param>
/// <param name="VersionAt">When the author made the edit, when the platform says; null otherwise.</param>
public readonly record struct PostMarker(PostMarkerKind Kind, string? Version, DateTimeOffset? VersionAt)
{
    public static readonly PostMarker Plain = new(PostMarkerKind.Post, null, null);
}
