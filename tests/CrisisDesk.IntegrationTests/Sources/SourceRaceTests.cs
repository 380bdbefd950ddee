using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Sources;

/// <summary>
/// A source command whose row someone else writes at the same moment. The other write is made in an open transaction
/// that holds the row; the command is started, and once it waits for the row the other write commits: the command's
/// save then finds the row's xmin moved. Nothing the other wrote is lost, and an edit laid over another is refused.
/// </summary>
public sealed class SourceRaceTests(SourcesFactory app) : IClassFixture<SourcesFactory>, IAsyncLifetime
{
    private FakeSourceServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeSourceServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private object RssSource(string name, string path = "news.rss") =>
        new { kind = "rss", name, config = new { url = _server.Url(path), keywords = new[] { "flood" }, pollIntervalSeconds = 3600 } };

    private async Task<(HttpClient Admin, int IncidentId, int SourceId)> SourceAsync(string incidentName, string path = "news.rss")
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var incident = await admin.PostAsJsonAsync("/api/incidents", new { name = incidentName, keywords = new[] { "flood" } });
        var incidentId = (await incident.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var added = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", RssSource("Wessex news", path));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        return (admin, incidentId, (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32());
    }

    /// <summary>Writes the row in a transaction of its own, sends the command, and commits the write once the command waits for the row.</summary>
    private async Task<HttpResponseMessage> WhileSomeoneElseWritesAsync(int sourceId, string theirWrite, Func<Task<HttpResponseMessage>> command)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(theirWrite, new { sourceId }, theirs);
        var ours = command();
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();
        return await ours;
    }

    [Fact]
    public async Task Two_admins_editing_the_same_source_keep_the_first_edit_and_the_second_hears_it_as_a_conflict()
    {
        var (admin, incidentId, sourceId) = await SourceAsync("Two admins, one source");

        var response = await WhileSomeoneElseWritesAsync(sourceId, "UPDATE sources SET name = 'Wessex news (theirs)' WHERE id = @sourceId",
            () => admin.PutAsJsonAsync($"/api/incidents/{incidentId}/sources/{sourceId}", RssSource("Wessex news (ours)")));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Someone else changed source", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal("Wessex news (theirs)", await connection.ExecuteScalarAsync<string>("SELECT name FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'source.changed' AND (payload->>'sourceId')::int = @sourceId", new { sourceId }));

        // Made again on what it is now, the edit goes through.
        var again = await admin.PutAsJsonAsync($"/api/incidents/{incidentId}/sources/{sourceId}", RssSource("Wessex news (ours)"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Wessex news (ours)", await connection.ExecuteScalarAsync<string>("SELECT name FROM sources WHERE id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task A_start_racing_a_removal_does_not_bring_the_removed_source_back()
    {
        var (admin, incidentId, sourceId) = await SourceAsync("Start against remove");

        var response = await WhileSomeoneElseWritesAsync(sourceId, "UPDATE sources SET enabled = false, removed_at = now() WHERE id = @sourceId",
            () => admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"Source {sourceId} was removed.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        // Enabled, it would run again at the next start of CrisisDesk, removed or not.
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT enabled FROM sources WHERE id = @sourceId", new { sourceId }));
        Assert.False(app.Services.GetRequiredService<IngestHost>().IsRunning(sourceId));
    }

    [Fact]
    public async Task A_stop_meeting_the_pipelines_write_to_the_same_row_still_stops_and_keeps_its_counters()
    {
        // Enabled behind the commands' back, the source is started by the ingest host's next round: its feed is one the
        // server does not have, so the only batch written to the row is the one below (a real one would add its posts).
        var (admin, incidentId, sourceId) = await SourceAsync("Stop against a batch", path: "not-served.rss");
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE sources SET enabled = true WHERE id = @sourceId", new { sourceId });

        // What the post writer does with every batch: the cursor and the counters.
        var response = await WhileSomeoneElseWritesAsync(sourceId,
            "UPDATE sources SET cursor = 'after-batch-7', posts_stored = posts_stored + 25, quarantined = quarantined + 2 WHERE id = @sourceId",
            () => admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/stop", null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        var stored = await connection.QuerySingleAsync<(bool Enabled, string Cursor, long PostsStored, long Quarantined)>(
            "SELECT enabled, cursor, posts_stored, quarantined FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((false, "after-batch-7", 25L, 2L), stored);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'source.stopped' AND (payload->>'sourceId')::int = @sourceId", new { sourceId }));
    }
}
