using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.TestSupport;

/// <summary>
/// One raw item per platform, in each platform's real wire format, carrying whatever text a test gives it: a NUL
/// (escaped as JSON must), a lone surrogate, or a post of megabytes. <c>{id}</c> makes each item its own post.
/// </summary>
public static class HostilePosts
{
    /// <summary>The formats whose payloads are JSON (or CSV) and so can carry any character, with the platform each stores.</summary>
    public static IReadOnlyList<(string Format, string Platform)> Formats { get; } =
    [
        (StreamFormats.XFilteredStream, "x"),
        (StreamFormats.MastodonStatus, "mastodon"),
        (StreamFormats.BlueskyJetstream, "bluesky"),
        (XV1TweetFormat.Name, "x"),
        (CrisisLexCsvFormat.Name, "x"),
        (PostJsonLinesFormat.Name, "x"),
    ];

    /// <summary>
    /// <paramref name="jsonText"/> is the text as it appears inside a JSON string (so <c>\u0000</c> is written
    /// <c>\\u0000</c>); for CSV it is decoded first and put in as the raw characters.
    /// </summary>
    public static RawItem Item(string format, int id, string jsonText, string cursor) =>
        new(format, Encoding.UTF8.GetBytes(Payload(format, id, jsonText)), cursor);

    public static string Payload(string format, int id, string jsonText) => format switch
    {
        StreamFormats.XFilteredStream =>
            $$$"""{"data":{"id":"{{{1_700_000_000_000_000_000L + id}}}","text":"{{{jsonText}}}","author_id":"u1","created_at":"2026-11-21T10:00:00.000Z","lang":"en"},"includes":{"users":[{"id":"u1","name":"Ann\u0000Smith","username":"annsmith"}]},"matching_rules":[{"id":"r1","tag":"flood\u0000"}]}""",
        StreamFormats.MastodonStatus => "event: update\ndata: " +
            $$$"""{"id":"{{{109_000_000_000_000_000L + id}}}","created_at":"2026-11-21T10:00:00.000Z","edited_at":null,"sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://social.example/users/ann/statuses/{{{id}}}","url":"https://social.example/@ann/{{{id}}}","content":"<p>{{{jsonText}}}</p>","account":{"id":"1","username":"ann","acct":"ann@social.example","display_name":"Ann\u0000"},"media_attachments":[],"tags":[],"reblog":null}""" + "\n\n",
        StreamFormats.BlueskyJetstream =>
            $$$"""{"did":"did:plc:ann","time_us":{{{1_763_719_200_000_000L + id}}},"kind":"commit","commit":{"rev":"3l{{{id}}}","operation":"create","collection":"app.bsky.feed.post","rkey":"r{{{id}}}","record":{"$type":"app.bsky.feed.post","text":"{{{jsonText}}}","createdAt":"2026-11-21T10:00:00.000Z","langs":["en"]},"cid":"bafy{{{id}}}"}}""",
        XV1TweetFormat.Name =>
            $$$"""{"id_str":"{{{580_320_995_266_936_832L + id}}}","created_at":"Tue Mar 24 10:38:24 +0000 2015","text":"{{{jsonText}}}","user":{"screen_name":"ann","name":"Ann\u0000"},"lang":"en","VERACITY":"true\u0000"}""",
        CrisisLexCsvFormat.Name =>
            $"{580_320_995_266_936_832L + id},\"{System.Text.RegularExpressions.Regex.Unescape(jsonText).Replace("\"", "\"\"", StringComparison.Ordinal)}\",Eyewitness,Affected individuals,Related and informative",
        PostJsonLinesFormat.Name =>
            $$$"""{"platform":"x","externalId":"jsonl-{{{id}}}","createdAt":"2026-11-21T10:00:00Z","text":"{{{jsonText}}}","authorName":"Ann\u0000","extra":{"note":"a\u0000b","pair":"\ud83c\udf0a","half":"\ud83c"}}""",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no hostile payload for this format"),
    };
}
