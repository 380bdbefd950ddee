using System.Net;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrisisDesk.IntegrationTests.Triage;

public sealed class TriagePageTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Fact]
    public async Task The_war_room_and_the_rumour_board_render_for_a_viewer()
    {
        var incidentId = await DrillReplayedAsync();
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var warRoom = await client.GetAsync($"/incidents/{incidentId}");
        var board = await client.GetAsync($"/incidents/{incidentId}/rumours");

        Assert.Equal(HttpStatusCode.OK, warRoom.StatusCode);
        Assert.Equal(HttpStatusCode.OK, board.StatusCode);
        var warRoomHtml = await warRoom.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"stories-panel\"", warRoomHtml, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"search\"", warRoomHtml, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"story-open\"", warRoomHtml, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"rumour-board\"", await board.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_indexes_the_drill_for_search_in_the_background()
    {
        var incidentId = await DrillReplayedAsync();
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        // The indexer runs every quarter second: it reaches the drill's newest post and indexes each post once.
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            var (newest, indexedUpTo, documents, posts) = await connection.QuerySingleAsync<(long, long?, long, long)>("""
                SELECT (SELECT max(id) FROM posts WHERE incident_id = @incidentId),
                       (SELECT indexed_up_to FROM search_progress WHERE incident_id = @incidentId),
                       (SELECT count(*) FROM post_search WHERE incident_id = @incidentId),
                       (SELECT count(*) FROM posts WHERE incident_id = @incidentId)
                """, new { incidentId });
            if (indexedUpTo == newest)
            {
                Assert.Equal(posts, documents);
                break;
            }
            await Task.Delay(100, timeout.Token);
        }
        // Search through the index finds what reading every post's text finds.
        var found = (await app.Services.GetRequiredService<TriageQueries>().HeadAsync(incidentId, new TriageFilter("germanwings crash"))).Count;
        await using var check = await dataSource.OpenConnectionAsync();
        var expected = await check.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM posts
             WHERE incident_id = @incidentId AND to_tsvector('simple'::regconfig, text) @@ websearch_to_tsquery('simple'::regconfig, 'germanwings crash')
            """, new { incidentId });
        Assert.InRange(expected, 1, long.MaxValue);
        Assert.Equal(expected, found);
    }

    /// <summary>The drill incident, once its replay has stored every post.</summary>
    private async Task<int> DrillReplayedAsync()
    {
        var monitor = app.Services.GetRequiredService<SourceMonitor>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (monitor.Snapshot().FirstOrDefault(s => s.Kind == "replay") is { State: SourceState.Completed } drill)
                return drill.IncidentId;
            await Task.Delay(100, timeout.Token);
        }
    }
}
