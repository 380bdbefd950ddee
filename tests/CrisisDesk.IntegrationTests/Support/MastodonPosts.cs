using CrisisDesk.Core.Posts;

namespace CrisisDesk.IntegrationTests.Support;

/// <summary>Mastodon posts and their edits as the Mastodon normaliser produces them, for the edit and deletion tests.</summary>
internal static class MastodonPosts
{
    public static Post Original(string id, string text, DateTimeOffset createdAt) => new()
    {
        Platform = "mastodon",
        ExternalId = id,
        CreatedAt = createdAt,
        AuthorHandle = "ann@example.social",
        Text = text,
    };

    /// <summary>An edit as the normaliser marks one: same id, <c>edited</c>, the edit time as its version.</summary>
    public static Post Edit(string id, string text, DateTimeOffset createdAt, DateTimeOffset editedAt) => Original(id, text, createdAt) with
    {
        Extra = $$"""{"edited":true,"version":"{{editedAt:O}}","edited_at":"{{editedAt:O}}"}""",
    };
}
