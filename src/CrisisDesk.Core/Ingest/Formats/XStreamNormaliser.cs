using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// Reads one line of the X API v2 filtered stream: the post in <c>data</c>, its author, media and place from
/// <c>includes</c> (the expansions the connector asks for), and the tags of the rules it matched from <c>matching_rules</c>.
/// </summary>
public sealed class XStreamNormaliser : IPostNormaliser
{
    public string Format => StreamFormats.XFilteredStream;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        using var doc = StreamJson.TryParse(payload, out var error);
        if (doc is null)
        {
            return NormaliseResult.Malformed(error!);
        }
        var root = doc.RootElement;
        if (root.GetObject("data") is not { } data)
        {
            return NormaliseResult.Malformed(root.GetArray("errors") is not null
                ? "stream error message, not a post: " + Truncate(root.GetRawText())
                : "no \"data\" object in the filtered stream line");
        }
        var id = data.GetString("id");
        if (string.IsNullOrEmpty(id))
        {
            return NormaliseResult.Malformed("post has no id");
        }
        if (data.GetTimestamp("created_at") is not { } createdAt)
        {
            return NormaliseResult.Malformed($"post {id} has no valid created_at (tweet.fields=created_at missing?)");
        }
        // Long posts carry their full text in note_tweet; text is then the truncated form.
        var text = data.GetObject("note_tweet")?.GetString("text") ?? data.GetString("text");
        if (text is null)
        {
            return NormaliseResult.Malformed($"post {id} has no text");
        }

        var includes = root.GetObject("includes");
        var author = FindById(includes, "users", "id", data.GetString("author_id"));
        var handle = author?.GetString("username");
        var mediaKeys = data.GetObject("attachments")?.GetArray("media_keys");
        var placeId = data.GetObject("geo")?.GetString("place_id");
        var place = FindById(includes, "places", "id", placeId);
        var rules = root.GetArray("matching_rules");
        // X publishes an edit as a new post id; edit_history_tweet_ids lists the chain, oldest first. An edit is stored
        // as a version of the chain's first post (StreamPostMarkers), named by its own id.
        var history = data.GetArray("edit_history_tweet_ids");
        var originalId = history is { } chain && chain.GetArrayLength() > 1 && chain[0].ValueKind == JsonValueKind.String
            && chain[0].GetString() is { Length: > 0 } first && first != id
            ? first
            : null;

        var extra = StreamPostMarkers.BuildExtra(w =>
        {
            w.WriteStartArray("rule_tags");
            if (rules is { } matched)
            {
                foreach (var rule in matched.EnumerateArray())
                {
                    if (rule.GetString("tag") is { } tag)
                    {
                        w.WriteStringValue(tag);
                    }
                }
            }
            w.WriteEndArray();
            w.WriteStartArray("rule_ids");
            if (rules is { } matchedIds)
            {
                foreach (var rule in matchedIds.EnumerateArray())
                {
                    if (rule.GetString("id") is { } ruleId)
                    {
                        w.WriteStringValue(ruleId);
                    }
                }
            }
            w.WriteEndArray();
            if (mediaKeys is { } keys)
            {
                w.WriteStartArray("media_types");
                foreach (var key in keys.EnumerateArray())
                {
                    var media = FindById(includes, "media", "media_key", key.ValueKind == JsonValueKind.String ? key.GetString() : null);
                    w.WriteStringValue(media?.GetString("type") ?? "unknown");
                }
                w.WriteEndArray();
            }
            if (place is { } p)
            {
                w.WriteString("place", p.GetString("full_name"));
                w.WriteString("place_country", p.GetString("country_code"));
            }
            // Exact coordinates when the author shared them, else the tagged place's box.
            if (data.GetObject("geo") is { } geo && geo.TryGetProperty("coordinates", out var point) && PostPlace.Point(point) is { } at)
                PostPlace.Write(w, at, "point");
            else if (place?.GetObject("geo") is { } placeGeo && placeGeo.TryGetProperty("bbox", out var bbox) && PostPlace.BoundingBox(bbox) is { } box)
                PostPlace.Write(w, box, "place");
            if (history is { } ids && ids.GetArrayLength() > 1)
            {
                w.WriteStartArray("edit_history_ids");
                foreach (var earlier in ids.EnumerateArray())
                {
                    w.WriteStringValue(earlier.ValueKind == JsonValueKind.String ? earlier.GetString() : earlier.GetRawText());
                }
                w.WriteEndArray();
            }
            if (originalId is not null)
            {
                w.WriteBoolean(StreamPostMarkers.EditedKey, true);
                w.WriteString(StreamPostMarkers.VersionKey, id);
                w.WriteString("edited_at", createdAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            }
        });

        return NormaliseResult.Ok(new Post
        {
            Platform = "x",
            ExternalId = originalId ?? id,
            CreatedAt = createdAt,
            AuthorHandle = handle,
            AuthorName = author?.GetString("name"),
            Text = text,
            Url = handle is null ? $"https://x.com/i/web/status/{id}" : $"https://x.com/{handle}/status/{id}",
            Language = data.GetString("lang"),
            HasMedia = mediaKeys is { } k && k.GetArrayLength() > 0,
            Extra = extra,
        });
    }

    private static JsonElement? FindById(JsonElement? includes, string collection, string key, string? value)
    {
        if (value is null || includes?.GetArray(collection) is not { } items)
        {
            return null;
        }
        foreach (var item in items.EnumerateArray())
        {
            if (item.GetString(key) == value)
            {
                return item;
            }
        }
        return null;
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
