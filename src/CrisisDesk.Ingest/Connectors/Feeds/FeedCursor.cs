using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>
/// A feed connector's resumable position: the validators of the last document delivered in full, the ids already
/// delivered (as short hashes, newest last, bounded) and the key of the last document refused (so a feed that stays
/// broken is quarantined once, not every poll). Saved with each item's batch.
/// </summary>
internal sealed record FeedCursor
{
    [JsonPropertyName("etag")] public string? ETag { get; init; }
    [JsonPropertyName("lm")] public string? LastModified { get; init; }
    [JsonPropertyName("seen")] public IReadOnlyList<string> Seen { get; init; } = [];
    [JsonPropertyName("rej")] public string? RejectedKey { get; init; }

    public static FeedCursor Parse(string? cursor)
    {
        if (string.IsNullOrWhiteSpace(cursor))
        {
            return new FeedCursor();
        }

        try
        {
            return JsonSerializer.Deserialize(cursor, FeedConfigJson.Default.FeedCursor) ?? new FeedCursor();
        }
        catch (JsonException)
        {
            // A cursor from an older version or hand-edited: start over; dedupe absorbs what is delivered again.
            return new FeedCursor();
        }
    }

    public string Serialize() => JsonSerializer.Serialize(this, FeedConfigJson.Default.FeedCursor);

    public bool HasSeen(string id) => Seen.Contains(Key(id));

    public FeedCursor WithSeen(IEnumerable<string> ids, int max)
    {
        var seen = new List<string>(Seen);
        foreach (var key in ids.Select(Key))
        {
            if (!seen.Contains(key))
            {
                seen.Add(key);
            }
        }

        return this with { Seen = seen.Count > max ? seen.GetRange(seen.Count - max, max) : seen };
    }

    /// <summary>
    /// 96 bits of SHA-256 in base64url (16 characters, nothing JSON would escape): compact, and far from colliding
    /// among a few hundred ids.
    /// </summary>
    public static string Key(string id) => System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(id)).AsSpan(0, 12));
}
