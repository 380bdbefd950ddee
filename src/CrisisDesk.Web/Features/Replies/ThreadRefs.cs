using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>A Bluesky strong reference: a record's at:// URI and the CID of its content.</summary>
public sealed record StrongRef(string Uri, string Cid);

/// <summary>
/// Where a reply attaches in its parent's thread, fixed when the reply is drafted from the stored post: X's
/// <c>in_reply_to_tweet_id</c>; Mastodon's <c>in_reply_to_id</c> and the parent's visibility (kept); Bluesky's
/// <c>reply.parent</c> and <c>reply.root</c> (the parent's own root when the parent is itself a reply).
/// </summary>
public sealed record ThreadRef
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? TweetId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StatusId { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Visibility { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public StrongRef? Parent { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public StrongRef? Root { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ThreadRef FromJson(string json) => JsonSerializer.Deserialize<ThreadRef>(json, Json) ?? new ThreadRef();

    /// <summary>
    /// The thread reference of a stored post (its platform, external id and the <c>extra</c> the normaliser kept), or
    /// the reason a reply cannot attach to it.
    /// </summary>
    public static (ThreadRef? Ref, string? Problem) Of(string platform, string externalId, string? extraJson)
    {
        using var extra = JsonDocument.Parse(string.IsNullOrEmpty(extraJson) ? "{}" : extraJson);
        string? Extra(string key) => extra.RootElement.ValueKind == JsonValueKind.Object && extra.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
        switch (platform)
        {
            case "x":
                return externalId.All(char.IsAsciiDigit) && externalId.Length > 0
                    ? (new ThreadRef { TweetId = externalId }, null)
                    : (null, "This X post has no tweet id to reply to.");
            case "mastodon":
                return (new ThreadRef { StatusId = externalId, Visibility = Extra("visibility") is { Length: > 0 } visibility ? visibility : "public" }, null);
            case "bluesky":
                if (!externalId.StartsWith("at://", StringComparison.Ordinal) || Extra("version") is not { Length: > 0 } cid)
                    return (null, "This Bluesky post was stored without its CID, so a reply cannot name it.");
                var parent = new StrongRef(externalId, cid);
                var root = Extra("reply_root_uri") is { Length: > 0 } rootUri && Extra("reply_root_cid") is { Length: > 0 } rootCid
                    ? new StrongRef(rootUri, rootCid)
                    : parent;
                return (new ThreadRef { Parent = parent, Root = root }, null);
            default:
                return (null, $"A {platform} post cannot be answered in its thread: replies go to X, Mastodon and Bluesky.");
        }
    }
}
