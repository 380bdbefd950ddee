using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// Reads one Bluesky Jetstream event. Commits to <c>app.bsky.feed.post</c> become posts: <c>create</c> a new post,
/// <c>update</c> a new version of it (same at:// URI, the record CID as version), <c>delete</c> a deletion marker
/// (see <see cref="StreamPostMarkers"/>). Identity and account events and other collections carry no post.
/// </summary>
public sealed class BlueskyJetstreamNormaliser : IPostNormaliser
{
    public const string PostCollection = "app.bsky.feed.post";

    public string Format => StreamFormats.BlueskyJetstream;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        using var doc = StreamJson.TryParse(payload, out var error);
        if (doc is null)
        {
            return NormaliseResult.Malformed(error!);
        }
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return NormaliseResult.Malformed("Jetstream event is not a JSON object");
        }
        if (root.GetString("kind") != "commit")
        {
            return NormaliseResult.Nothing;
        }
        var did = root.GetString("did");
        var commit = root.GetObject("commit");
        if (string.IsNullOrEmpty(did) || commit is not { } c)
        {
            return NormaliseResult.Malformed("commit event without did or commit object");
        }
        if (c.GetString("collection") != PostCollection)
        {
            return NormaliseResult.Nothing;
        }
        var rkey = c.GetString("rkey");
        if (string.IsNullOrEmpty(rkey) || !root.TryGetProperty("time_us", out var timeUs) || !timeUs.TryGetInt64(out var micros))
        {
            return NormaliseResult.Malformed("post commit without rkey or time_us");
        }
        var eventTime = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
        var uri = $"at://{did}/{PostCollection}/{rkey}";
        var operation = c.GetString("operation");
        switch (operation)
        {
            case "delete":
                return NormaliseResult.Ok(StreamPostMarkers.Deletion("bluesky", uri, eventTime,
                    w => w.WriteNumber("time_us", micros)));
            case "create":
            case "update":
                break;
            default:
                return NormaliseResult.Malformed($"unknown commit operation '{operation}'");
        }
        if (c.GetObject("record") is not { } record || record.GetString("text") is not { } text)
        {
            return NormaliseResult.Malformed($"{operation} of {uri} has no record text");
        }
        var cid = c.GetString("cid");
        var embedType = record.GetObject("embed")?.GetString("$type");
        var language = record.GetArray("langs") is { } langs && langs.GetArrayLength() > 0 && langs[0].ValueKind == JsonValueKind.String
            ? langs[0].GetString()
            : null;
        var extra = StreamPostMarkers.BuildExtra(w =>
        {
            w.WriteString("operation", operation);
            if (operation == "update")
            {
                w.WriteBoolean(StreamPostMarkers.EditedKey, true);
            }
            // The CID names the record's content: each version has its own, a re-delivery the same.
            w.WriteString(StreamPostMarkers.VersionKey, cid);
            w.WriteString("rev", c.GetString("rev"));
            w.WriteNumber("time_us", micros);
            // A reply in thread names the thread's root; a post that is itself a reply carries it (issue 18).
            if (record.GetObject("reply")?.GetObject("root") is { } root && root.GetString("uri") is { } rootUri && root.GetString("cid") is { } rootCid)
            {
                w.WriteString("reply_root_uri", rootUri);
                w.WriteString("reply_root_cid", rootCid);
            }
            if (embedType is not null)
            {
                w.WriteString("embed", embedType);
            }
        });

        return NormaliseResult.Ok(new Post
        {
            Platform = "bluesky",
            ExternalId = uri,
            // createdAt is what the author's client claims; the relay's time is the fallback when it is absent or invalid.
            CreatedAt = record.GetTimestamp("createdAt") ?? eventTime,
            AuthorHandle = did,
            Text = text,
            Url = $"https://bsky.app/profile/{did}/post/{rkey}",
            Language = language,
            HasMedia = embedType is "app.bsky.embed.images" or "app.bsky.embed.video" or "app.bsky.embed.recordWithMedia",
            Extra = extra,
        });
    }
}
