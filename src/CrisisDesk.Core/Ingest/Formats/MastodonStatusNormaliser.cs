using System.Net;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// Reads one Mastodon server-sent event block, kept as it arrived (<c>event: update</c> / <c>status.update</c> / <c>delete</c>
/// and its <c>data:</c> lines). <c>update</c> is a new status, <c>status.update</c> an edit (same external id, a new
/// version), <c>delete</c> a deletion marker (see <see cref="StreamPostMarkers"/>). Other events carry no post.
/// </summary>
public sealed class MastodonStatusNormaliser : IPostNormaliser
{
    public string Format => StreamFormats.MastodonStatus;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > StreamFormats.MaxFrameBytes)
        {
            return NormaliseResult.Malformed($"event of at least {payload.Length} bytes exceeds the {StreamFormats.MaxFrameBytes}-byte limit (cut short by the connector)");
        }
        if (!ServerSentEvent.TryParse(payload, out var sse))
        {
            return NormaliseResult.Malformed("not a server-sent event block (no data line)");
        }
        switch (sse.Event)
        {
            case "update":
            case "status.update":
                return ReadStatus(sse.Data, isEditEvent: sse.Event == "status.update");
            case "delete":
                return ReadDeletion(sse.Data);
            default:
                // notification, filters_changed, announcement, …: nothing a war room stores.
                return NormaliseResult.Nothing;
        }
    }

    private static NormaliseResult ReadStatus(byte[] data, bool isEditEvent)
    {
        using var doc = StreamJson.TryParse(data, out var error);
        if (doc is null)
        {
            return NormaliseResult.Malformed(error!);
        }
        var status = doc.RootElement;
        if (status.ValueKind != JsonValueKind.Object)
        {
            return NormaliseResult.Malformed("status payload is not a JSON object");
        }
        if (status.GetObject("reblog") is not null)
        {
            // A boost repeats a status that is delivered on its own; its text belongs to the original.
            return NormaliseResult.Nothing;
        }
        var id = status.GetString("id");
        if (string.IsNullOrEmpty(id))
        {
            return NormaliseResult.Malformed("status has no id");
        }
        if (status.GetTimestamp("created_at") is not { } createdAt)
        {
            return NormaliseResult.Malformed($"status {id} has no valid created_at");
        }
        var content = status.GetString("content");
        if (content is null)
        {
            return NormaliseResult.Malformed($"status {id} has no content");
        }
        var account = status.GetObject("account");
        var editedAt = status.GetTimestamp("edited_at");
        var media = status.GetArray("media_attachments");
        var spoiler = status.GetString("spoiler_text");
        var text = HtmlToText(content);
        if (!string.IsNullOrEmpty(spoiler))
        {
            text = spoiler + "\n\n" + text;
        }

        var extra = StreamPostMarkers.BuildExtra(w =>
        {
            w.WriteString("uri", status.GetString("uri"));
            // A reply in thread keeps the parent's visibility (issue 18).
            if (status.GetString("visibility") is { } visibility)
            {
                w.WriteString("visibility", visibility);
            }
            if (editedAt is { } edited)
            {
                // The edited_at time names the version: every edit has a new one, a re-delivery the same one.
                w.WriteBoolean(StreamPostMarkers.EditedKey, true);
                w.WriteString(StreamPostMarkers.VersionKey, edited.ToString("O"));
                w.WriteString("edited_at", edited.ToString("O"));
            }
            else if (isEditEvent)
            {
                w.WriteBoolean(StreamPostMarkers.EditedKey, true);
            }
            if (status.GetArray("tags") is { } tags)
            {
                w.WriteStartArray("tags");
                foreach (var tag in tags.EnumerateArray())
                {
                    if (tag.GetString("name") is { } name)
                    {
                        w.WriteStringValue(name);
                    }
                }
                w.WriteEndArray();
            }
            if (status.TryGetProperty("sensitive", out var sensitive) && sensitive.ValueKind == JsonValueKind.True)
            {
                w.WriteBoolean("sensitive", true);
            }
        });

        return NormaliseResult.Ok(new Post
        {
            Platform = "mastodon",
            ExternalId = id,
            CreatedAt = createdAt,
            AuthorHandle = account?.GetString("acct"),
            AuthorName = account?.GetString("display_name") is { Length: > 0 } display ? display : null,
            Text = text,
            Url = status.GetString("url") ?? status.GetString("uri"),
            Language = status.GetString("language"),
            HasMedia = media is { } m && m.GetArrayLength() > 0,
            Extra = extra,
        });
    }

    private static NormaliseResult ReadDeletion(byte[] data)
    {
        string id;
        try
        {
            id = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data).Trim().Trim('"');
        }
        catch (DecoderFallbackException)
        {
            return NormaliseResult.Malformed("invalid UTF-8 in delete event");
        }
        if (id.Length == 0 || id.Length > 64 || !id.All(char.IsAsciiLetterOrDigit))
        {
            return NormaliseResult.Malformed("delete event without a valid status id");
        }
        return NormaliseResult.Ok(StreamPostMarkers.Deletion("mastodon", id, SnowflakeTime(id)));
    }

    /// <summary>
    /// Mastodon status ids are "snowflakes": milliseconds since 1970 shifted left by 16 bits. A delete event carries only
    /// the id, so this is the best time a pure normaliser can give its marker; an unknown id shape gives the Unix epoch.
    /// </summary>
    internal static DateTimeOffset SnowflakeTime(string id)
    {
        if (long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            var ms = value >> 16;
            var when = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, 4_102_444_800_000));
            if (when.Year is >= 2016 and < 2100)
            {
                return when;
            }
        }
        return DateTimeOffset.UnixEpoch;
    }

    /// <summary>Turns status HTML into plain text: paragraphs and line breaks become newlines, tags go, entities are decoded.</summary>
    internal static string HtmlToText(string html)
    {
        var text = new StringBuilder(html.Length);
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c != '<')
            {
                text.Append(c);
                i++;
                continue;
            }
            var end = html.IndexOf('>', i);
            if (end < 0)
            {
                // A lone '<' is text.
                text.Append(html, i, html.Length - i);
                break;
            }
            var tag = html.AsSpan(i + 1, end - i - 1).Trim();
            if (tag.StartsWith("br", StringComparison.OrdinalIgnoreCase))
            {
                text.Append('\n');
            }
            else if (tag.StartsWith("/p", StringComparison.OrdinalIgnoreCase))
            {
                text.Append("\n\n");
            }
            i = end + 1;
        }
        return WebUtility.HtmlDecode(text.ToString()).Trim();
    }
}

/// <summary>One server-sent event block: its event name (default <c>message</c>) and its data lines joined by newlines.</summary>
internal readonly record struct ServerSentEvent(string Event, byte[] Data)
{
    public static bool TryParse(ReadOnlySpan<byte> block, out ServerSentEvent sse)
    {
        var name = "message";
        var data = new List<byte>();
        var hasData = false;
        while (!block.IsEmpty)
        {
            var newline = block.IndexOf((byte)'\n');
            var line = newline < 0 ? block : block[..newline];
            block = newline < 0 ? [] : block[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            if (line.IsEmpty || line[0] == (byte)':')
            {
                continue;
            }
            var colon = line.IndexOf((byte)':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? [] : line[(colon + 1)..];
            if (!value.IsEmpty && value[0] == (byte)' ')
            {
                value = value[1..];
            }
            if (field.SequenceEqual("event"u8))
            {
                name = Encoding.UTF8.GetString(value);
            }
            else if (field.SequenceEqual("data"u8))
            {
                if (hasData)
                {
                    data.Add((byte)'\n');
                }
                data.AddRange(value);
                hasData = true;
            }
        }
        sse = new ServerSentEvent(name, [.. data]);
        return hasData;
    }
}
