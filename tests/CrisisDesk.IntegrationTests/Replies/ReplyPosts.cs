using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.IntegrationTests.Replies;

/// <summary>Residents' posts on each platform, stored as the normalisers store them (the thread details in <c>extra</c>).</summary>
internal static class ReplyPosts
{
    public const string ParentCid = "bafyreiparentcid";
    public const string RootUri = "at://did:plc:someoneelse/app.bsky.feed.post/3kroot0000001";
    public const string RootCid = "bafyreirootcid";

    public static async Task<long> StoreAsync(TestDatabase database, int incidentId, string platform, string externalId, string text, object? extra = null)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var sourceId = await connection.ExecuteScalarAsync<int?>("SELECT id FROM sources WHERE incident_id = @incidentId AND kind = 'test' LIMIT 1", new { incidentId })
            ?? await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'test') RETURNING id", new { incidentId });
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, text, extra)
            VALUES (@incidentId, @sourceId, @platform, @externalId, now(), now(), 'resident', @text, @extra::jsonb) RETURNING id
            """, new { incidentId, sourceId, platform, externalId, text, extra = extra is null ? null : JsonSerializer.Serialize(extra) });
    }

    /// <summary>A new (not drill) incident with the organisation's three accounts pointed at the fakes, configured by the admin over HTTP.</summary>
    public static async Task<int> IncidentWithAccountsAsync(PublishingFactory app, HttpClient admin, string name)
    {
        var incidentId = (await (await admin.PostAsJsonAsync("/api/incidents", new { name })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var fakes = app.Fakes.BaseUrl.ToString();
        foreach (var (platform, handle, secret) in new[] { ("x", "@riversidecc", "X:Riverside"), ("mastodon", "riverside@mastodon.example", "Mastodon:Riverside"), ("bluesky", FakeChannelServers.BlueskyHandle, "Bluesky:Riverside") })
        {
            var saved = await admin.PutAsJsonAsync($"/api/incidents/{incidentId}/accounts/{platform}", new { handle, baseUrl = fakes, secretName = secret });
            Assert.True(saved.IsSuccessStatusCode, $"{platform}: {await saved.Content.ReadAsStringAsync()}");
        }
        return incidentId;
    }
}
