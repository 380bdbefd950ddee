using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Events;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Rumours;
using CrisisDesk.Web.Features.Triage;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Rumours;

/// <summary>Triage and rumour commands through the real host, on the replayed Germanwings drill.</summary>
public sealed class RumourHostTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The drill incident, once its replay has stored every post.</summary>
    private async Task<int> DrillAsync()
    {
        var monitor = app.Services.GetRequiredService<SourceMonitor>();
        using var timeout = new CancellationTokenSource(ReplayTimeout);
        while (true)
        {
            if (monitor.Snapshot().FirstOrDefault(s => s.Kind == "replay") is { State: SourceState.Completed } drill)
                return drill.IncidentId;
            await Task.Delay(100, timeout.Token);
        }
    }

    private async Task<long> PostIdAsync(int incidentId, string textLike)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "SELECT min(id) FROM posts WHERE incident_id = @incidentId AND text ILIKE @textLike", new { incidentId, textLike });
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var (user, password) = await app.CreateUserAsync(role);
        return await app.SignedInClientAsync(user, password);
    }

    private static async Task<int> CreateRumourAsync(HttpClient client, int incidentId, string claim, long[]? postIds = null)
    {
        var response = await client.PostAsJsonAsync($"/api/incidents/{incidentId}/rumours", new { claim, severity = "High", postIds });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task The_replayed_drill_is_grouped_into_stories()
    {
        var incidentId = await DrillAsync();

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM posts WHERE incident_id = @incidentId AND story_id IS NULL", new { incidentId }));
        // Every story's size is exactly its members: the rows were written with the posts.
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM stories s WHERE s.incident_id = @incidentId AND s.size <> (SELECT count(*) FROM posts p WHERE p.story_id = s.id)
            """, new { incidentId }));
        var largest = await connection.ExecuteScalarAsync<int>("SELECT max(size) FROM stories WHERE incident_id = @incidentId", new { incidentId });
        Assert.InRange(largest, 3, 238);
    }

    [Fact]
    public async Task Full_text_search_finds_and_highlights_and_composes_with_other_filters()
    {
        var incidentId = await DrillAsync();
        var client = await ClientAsync(Roles.Viewer);

        var found = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/posts?q=convert");
        var none = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/posts?q=convert&platform=news");

        var posts = found.GetProperty("posts").EnumerateArray().ToList();
        Assert.NotEmpty(posts);
        Assert.Equal(posts.Count, found.GetProperty("count").GetInt32());
        Assert.All(posts, p => Assert.Contains("convert", p.GetProperty("text").GetString()!, StringComparison.OrdinalIgnoreCase));
        var runs = HighlightedText.Parse(posts[0].GetProperty("headline").GetString());
        Assert.Contains(runs, r => r.Highlighted && r.Text.Equals("convert", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(posts[0].GetProperty("text").GetString(), string.Concat(runs.Select(r => r.Text)));
        Assert.Equal(0, none.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_viewer_cannot_flag_or_create_a_rumour_and_the_refusals_are_recorded()
    {
        var incidentId = await DrillAsync();
        var postId = await PostIdAsync(incidentId, "%convert%");
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var flag = await client.PostAsync($"/api/posts/{postId}/flag", null);
        var create = await client.PostAsJsonAsync($"/api/incidents/{incidentId}/rumours", new { claim = "Viewer's rumour claim" });

        Assert.Equal(HttpStatusCode.Forbidden, flag.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM rumours WHERE claim = 'Viewer''s rumour claim'"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM post_triage WHERE flagged_by = @viewer", new { viewer }));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @viewer", new { viewer }));
    }

    [Fact]
    public async Task A_viewer_cannot_move_or_edit_a_rumour_the_refusal_names_its_incident_and_an_unknown_rumour_is_said_so()
    {
        var incidentId = await DrillAsync();
        var operatorClient = await ClientAsync(Roles.Operator);
        var rumourId = await CreateRumourAsync(operatorClient, incidentId, "The black box was found empty");
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);

        var move = await client.PostAsJsonAsync($"/api/rumours/{rumourId}/status", new { expectedVersion = 1, status = "Investigating", note = "" });
        var edit = await client.PutAsJsonAsync($"/api/rumours/{rumourId}", new { expectedVersion = 1, claim = "The black box was found", severity = "Low", owner = viewer });
        var unknown = await operatorClient.PostAsJsonAsync("/api/rumours/999999/status", new { expectedVersion = 1, status = "Investigating", note = "" });

        Assert.Equal(HttpStatusCode.Forbidden, move.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, edit.StatusCode);
        Assert.Contains("There is no rumour 999999.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var rumour = await app.Services.GetRequiredService<RumourQueries>().GetAsync(rumourId);
        Assert.Equal(("New", "The black box was found empty", 1), (rumour!.Status, rumour.Claim, rumour.Version));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal([incidentId, incidentId], await connection.QueryAsync<int>(
            "SELECT incident_id FROM events WHERE action = 'authorization.denied' AND actor = @viewer ORDER BY seq", new { viewer }));
    }

    [Fact]
    public async Task Flagging_writes_the_mark_and_its_event_and_every_war_room_hears_of_it()
    {
        var incidentId = await DrillAsync();
        var postId = await PostIdAsync(incidentId, "%148 people%");
        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(operatorName, password);
        var heard = new TaskCompletionSource<IncidentActivity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = app.Services.GetRequiredService<IncidentActivityFeed>().Subscribe(incidentId, batch =>
        {
            if (batch.FirstOrDefault(a => a.Action == "post.flagged" && a.Actor == operatorName) is { } activity)
                heard.TrySetResult(activity);
            return Task.CompletedTask;
        }, TimeSpan.Zero);

        var response = await client.PostAsync($"/api/posts/{postId}/flag", null);
        var again = await client.PostAsync($"/api/posts/{postId}/flag", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var activity = await heard.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([postId], activity.PostIds);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(operatorName, await connection.ExecuteScalarAsync<string>("SELECT flagged_by FROM post_triage WHERE post_id = @postId", new { postId }));
        // Flagging twice changes nothing the second time and logs once.
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'post.flagged' AND (payload->>'postId')::bigint = @postId", new { postId }));
        Assert.Equal(activity.EventSeq, await connection.ExecuteScalarAsync<long>(
            "SELECT seq FROM events WHERE action = 'post.flagged' AND (payload->>'postId')::bigint = @postId", new { postId }));
    }

    [Fact]
    public async Task A_rumour_moves_through_its_lifecycle_with_an_event_for_each_change()
    {
        var incidentId = await DrillAsync();
        var postId = await PostIdAsync(incidentId, "%convert%");
        var client = await ClientAsync(Roles.Operator);
        var rumourId = await CreateRumourAsync(client, incidentId, "The co-pilot was a convert to Islam", [postId]);

        var skip = await client.PostAsJsonAsync($"/api/rumours/{rumourId}/status", new { expectedVersion = 1, status = "Resolved" });
        Assert.Equal(HttpStatusCode.BadRequest, skip.StatusCode);
        var version = 1;
        foreach (var status in new[] { "Investigating", "ConfirmedFalse", "Resolved" })
        {
            var moved = await client.PostAsJsonAsync($"/api/rumours/{rumourId}/status", new { expectedVersion = version, status, note = $"to {status}" });
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
            version = (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32();
        }

        Assert.Equal(4, version);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var changes = (await connection.QueryAsync<(string From, string To, string Note)>("""
            SELECT payload->>'from', payload->>'to', payload->>'note' FROM events
             WHERE action = 'rumour.status-changed' AND (payload->>'rumourId')::int = @rumourId ORDER BY seq
            """, new { rumourId })).ToList();
        Assert.Equal([("New", "Investigating", "to Investigating"), ("Investigating", "ConfirmedFalse", "to ConfirmedFalse"), ("ConfirmedFalse", "Resolved", "to Resolved")], changes);
        var created = await connection.QuerySingleAsync<string>(
            "SELECT payload::text FROM events WHERE action = 'rumour.created' AND (payload->>'rumourId')::int = @rumourId", new { rumourId });
        Assert.Contains($"\"postIds\": [{postId}]", created, StringComparison.Ordinal);
        Assert.Null(await EventLog.VerifyAsync(app.Database.DataSource));
    }

    [Fact]
    public async Task The_second_of_two_concurrent_changes_gets_a_conflict_with_the_current_state_and_nothing_is_lost()
    {
        var incidentId = await DrillAsync();
        var alice = await ClientAsync(Roles.Operator);
        var bob = await ClientAsync(Roles.Operator);
        var rumourId = await CreateRumourAsync(alice, incidentId, "Flight 4U9525 was shot down");

        // Both saw version 1.
        var first = await alice.PostAsJsonAsync($"/api/rumours/{rumourId}/status", new { expectedVersion = 1, status = "Investigating", note = "alice looks" });
        var second = await bob.PutAsJsonAsync($"/api/rumours/{rumourId}", new { expectedVersion = 1, claim = "Flight 4U9525 was shot down by a missile", severity = "Critical", owner = "bob" });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var conflict = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Investigating", conflict.GetProperty("current").GetProperty("status").GetString());
        Assert.Equal(2, conflict.GetProperty("current").GetProperty("version").GetInt32());
        Assert.Contains("changed by someone else", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Bob applies his change again on the current version: both changes stand.
        var retried = await bob.PutAsJsonAsync($"/api/rumours/{rumourId}", new { expectedVersion = 2, claim = "Flight 4U9525 was shot down by a missile", severity = "Critical", owner = "bob" });
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var rumour = await app.Services.GetRequiredService<RumourQueries>().GetAsync(rumourId);
        Assert.Equal(("Investigating", "Critical", "bob", 3), (rumour!.Status, rumour.Severity, rumour.Owner, rumour.Version));
    }

    [Fact]
    public async Task A_command_and_its_event_commit_together_or_not_at_all()
    {
        var incidentId = await DrillAsync();
        var client = await ClientAsync(Roles.Operator);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        // Make the event append fail, as a full disk would, for this one claim only.
        await connection.ExecuteAsync("""
            CREATE FUNCTION refuse_test_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.payload->>'claim' = 'Claim whose event cannot be written' THEN RAISE EXCEPTION 'event store refused'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_test_event BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_test_event();
            """);
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsJsonAsync($"/api/incidents/{incidentId}/rumours", new { claim = "Claim whose event cannot be written" });
        }
        finally
        {
            await connection.ExecuteAsync("DROP TRIGGER refuse_test_event ON events; DROP FUNCTION refuse_test_event();");
        }

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM rumours WHERE claim = 'Claim whose event cannot be written'"));
    }

    [Fact]
    public async Task Suggestions_propose_look_alike_stories_and_a_rejection_is_recorded_and_not_proposed_again()
    {
        var incidentId = await DrillAsync();
        var client = await ClientAsync(Roles.Operator);
        var rumourId = await CreateRumourAsync(client, incidentId, "Germanwings co-pilot was a Muslim convert");
        var suggester = app.Services.GetRequiredService<RumourSuggester>();
        await suggester.ScanRecentAsync(incidentId);

        var suggestions = await client.GetFromJsonAsync<JsonElement[]>($"/api/rumours/{rumourId}/suggestions");
        Assert.True(suggestions!.Length >= 2, $"expected several look-alike stories, got {suggestions.Length}");
        Assert.All(suggestions, s => Assert.Contains("pilot", s.GetProperty("postText").GetString()!, StringComparison.OrdinalIgnoreCase));
        var rejected = suggestions[0].GetProperty("id").GetInt64();
        var confirmed = suggestions[1].GetProperty("id").GetInt64();
        var confirmedStory = suggestions[1].GetProperty("storyId").GetInt64();

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/suggestions/{rejected}/reject", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/suggestions/{confirmed}/confirm", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/suggestions/{rejected}/confirm", null)).StatusCode);
        Assert.Equal(0, await suggester.ScanRecentAsync(incidentId));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal("rejected", await connection.ExecuteScalarAsync<string>("SELECT state FROM rumour_suggestions WHERE id = @rejected", new { rejected }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'rumour.suggestion-rejected' AND (payload->>'suggestionId')::bigint = @rejected", new { rejected }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM rumour_stories WHERE rumour_id = @rumourId AND story_id = @confirmedStory", new { rumourId, confirmedStory }));
        var spread = await app.Services.GetRequiredService<RumourQueries>().SpreadAsync(rumourId);
        Assert.True(spread.Sum(m => m.Count) >= 1);
    }

    [Fact]
    public async Task The_board_names_each_rumours_latest_rebuttal()
    {
        var incidentId = await DrillAsync();
        var client = await ClientAsync(Roles.Operator);
        var answered = await CreateRumourAsync(client, incidentId, "The airline hid a second crash");
        var unanswered = await CreateRumourAsync(client, incidentId, "The airport is closed for a week");
        async Task<int> DraftAsync(string title)
        {
            var response = await client.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
            {
                title,
                rumourId = answered,
                variants = new Dictionary<string, string> { ["X"] = title },
            });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        }
        await DraftAsync("There was one crash");
        var latest = await DraftAsync("There was one crash, and only one");

        var rebuttals = await app.Services.GetRequiredService<RumourQueries>().RebuttalsAsync(incidentId);

        Assert.Equal((latest, answered, "There was one crash, and only one", "draft"),
            (rebuttals[answered].Id, rebuttals[answered].RumourId, rebuttals[answered].Title, rebuttals[answered].State));
        Assert.False(rebuttals.ContainsKey(unanswered));
    }
}
