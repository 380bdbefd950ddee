using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Sources;

/// <summary>The host with two named credentials configured, as an operator would set them in user secrets or the environment.</summary>
public sealed class SourcesFactory : CrisisDeskFactory
{
    public const string XSecretName = "Test:XToken";
    public const string XSecretValue = "AAAAsekrit-x-bearer-9f3c2e";
    public const string MastodonSecretName = "Test:MastodonToken";
    public const string MastodonSecretValue = "mastodon-sekrit-token-77aa";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        // Bound as a self-hosted deployment would bind them: X's to the fake X server, Mastodon's to its instance.
        [$"CrisisDesk:Secrets:{XSecretName}:Value"] = XSecretValue,
        [$"CrisisDesk:Secrets:{XSecretName}:Platform"] = "x",
        [$"CrisisDesk:Secrets:{XSecretName}:Hosts"] = "127.0.0.1",
        [$"CrisisDesk:Secrets:{MastodonSecretName}:Value"] = MastodonSecretValue,
        [$"CrisisDesk:Secrets:{MastodonSecretName}:Platform"] = "mastodon",
        [$"CrisisDesk:Secrets:{MastodonSecretName}:Hosts"] = "mastodon.example",
    };
}

public sealed class SourcesTests(SourcesFactory app) : IClassFixture<SourcesFactory>, IAsyncLifetime
{
    private FakeSourceServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeSourceServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<HttpClient> AdminAsync() => await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

    private async Task<HttpClient> SignedInAsAsync(string role)
    {
        var (user, password) = await app.CreateUserAsync(role);
        return await app.SignedInClientAsync(user, password);
    }

    private static async Task<int> OpenIncidentAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/incidents", new { name, keywords = new[] { "flood" } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private object RssSource(string name, string path = "news.rss") =>
        new { kind = "rss", name, config = new { url = _server.Url(path), keywords = new[] { "flood" }, pollIntervalSeconds = 3600 } };

    private static async Task<int> AddAsync(HttpClient client, int incidentId, object request)
    {
        var response = await client.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task An_operator_sees_the_sources_but_cannot_change_them_and_each_refusal_is_recorded()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Operator rights check");
        var sourceId = await AddAsync(admin, incidentId, RssSource("Wessex news"));
        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var operatorClient = await app.SignedInClientAsync(operatorName, password);

        var list = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/sources");
        var add = await operatorClient.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", RssSource("Operator's feed"));
        var start = await operatorClient.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null);
        var test = await operatorClient.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", RssSource("Operator's test"));
        var remove = await operatorClient.DeleteAsync($"/api/incidents/{incidentId}/sources/{sourceId}");

        Assert.Equal("Wessex news", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        Assert.All([add, start, test, remove], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var refused = (await connection.QueryAsync<string>(
            "SELECT payload->>'action' FROM events WHERE action = 'authorization.denied' AND actor = @operatorName AND incident_id = @incidentId ORDER BY seq",
            new { operatorName, incidentId })).ToList();
        Assert.Equal(["add a source", "start a source", "test a source", "remove a source"], refused);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM sources WHERE incident_id = @incidentId", new { incidentId }));
        Assert.False(app.Services.GetRequiredService<IngestHost>().IsRunning(sourceId));
    }

    [Fact]
    public async Task A_viewer_may_not_even_list_the_sources()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Viewer rights check");
        var viewer = await SignedInAsAsync(Roles.Viewer);

        var response = await viewer.GetAsync($"/api/incidents/{incidentId}/sources");
        var page = await viewer.GetAsync($"/incidents/{incidentId}/sources");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    [Fact]
    public async Task Adding_writes_the_source_stopped_with_its_event_in_the_same_transaction()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Add check");

        var sourceId = await AddAsync(admin, incidentId, RssSource("Wessex news"));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var stored = await connection.QuerySingleAsync<(string Kind, bool Enabled, string Url)>(
            "SELECT kind, enabled, config->>'url' FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal(("rss", false, _server.Url("news.rss")), stored);
        var added = await connection.QuerySingleAsync<(string Actor, string Payload)>(
            "SELECT actor, payload::text FROM events WHERE action = 'source.added' AND (payload->>'sourceId')::int = @sourceId", new { sourceId });
        Assert.Equal(CrisisDeskFactory.AdminUser, added.Actor);
        using var payload = JsonDocument.Parse(added.Payload);
        Assert.Equal("Wessex news", payload.RootElement.GetProperty("name").GetString());
        Assert.Equal(_server.Url("news.rss"), payload.RootElement.GetProperty("config").GetProperty("url").GetString());
        Assert.Null(await CrisisDesk.Data.Events.EventLog.VerifyAsync(app.Database.DataSource));
    }

    [Fact]
    public async Task Bad_settings_get_one_message_per_field_and_nothing_is_stored()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Validation check");

        var feed = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources",
            new { kind = "rss", name = " ", config = new { url = "file:///etc/passwd", pollIntervalSeconds = 1, keywords = "flood" } });
        var x = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources",
            new { kind = "x", name = "X", config = new { tokenSecret = "X:NotConfigured", rules = new object[] { new { value = "", tag = "t" } } } });
        var mastodon = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources",
            new { kind = "mastodon", name = "M", config = new { instance = "mastodon.social", tokenSecret = SourcesFactory.MastodonSecretName, stream = "hashtag", hashtag = "#flood warning" } });
        var unknown = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", new { kind = "fax", name = "F", config = new { } });

        var feedErrors = await ErrorsAsync(feed);
        Assert.Equal(["name", "pollIntervalSeconds", "url"], feedErrors.Keys.Order());
        Assert.Contains("http", feedErrors["url"], StringComparison.Ordinal);
        Assert.Contains("10 to 86400", feedErrors["pollIntervalSeconds"], StringComparison.Ordinal);
        var xErrors = await ErrorsAsync(x);
        Assert.Equal(["rules[0].value", "tokenSecret"], xErrors.Keys.Order());
        Assert.Contains("No credential of that name", xErrors["tokenSecret"], StringComparison.Ordinal);
        var mastodonErrors = await ErrorsAsync(mastodon);
        Assert.Equal(["hashtag", "instance"], mastodonErrors.Keys.Order());
        Assert.Contains("kind", (await ErrorsAsync(unknown)).Keys);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM sources WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'source.added' AND incident_id = @incidentId", new { incidentId }));
    }

    private static async Task<Dictionary<string, string>> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value[0].GetString()!);
    }

    [Fact]
    public async Task Credentials_are_named_never_stored_shown_or_written_to_events()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Secrets check");

        var xId = await AddAsync(admin, incidentId, new
        {
            kind = "x", name = "X flood stream",
            config = new { tokenSecret = SourcesFactory.XSecretName, rules = new[] { new { value = "flood guildford -is:retweet", tag = "flood" } }, baseAddress = _server.BaseUrl.ToString() },
        });
        await AddAsync(admin, incidentId, new
        {
            kind = "mastodon", name = "Mastodon #flood",
            config = new { instance = "https://mastodon.example/", tokenSecret = SourcesFactory.MastodonSecretName, stream = "hashtag", hashtag = "flood", accessToken = "smuggled-token-field" },
        });
        // A token pasted where its name belongs is refused, and not repeated back.
        var pasted = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources",
            new { kind = "x", name = "Pasted", config = new { tokenSecret = SourcesFactory.XSecretValue, rules = new[] { new { value = "flood" } } } });
        await admin.PostAsync($"/api/incidents/{incidentId}/sources/{xId}/start", null);
        await admin.PostAsync($"/api/incidents/{incidentId}/sources/{xId}/stop", null);
        var listed = await admin.GetStringAsync($"/api/incidents/{incidentId}/sources");

        Assert.Equal(HttpStatusCode.BadRequest, pasted.StatusCode);
        var pastedBody = await pasted.Content.ReadAsStringAsync();
        var sources = JsonDocument.Parse(listed).RootElement.EnumerateArray().ToList();
        Assert.Equal(2, sources.Count);
        Assert.All(sources, s => Assert.True(s.GetProperty("credential").GetProperty("configured").GetBoolean()));
        Assert.Equal(SourcesFactory.XSecretName, sources[0].GetProperty("credential").GetProperty("name").GetString());
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var everything = string.Join("\n", await connection.QueryAsync<string>(
            "SELECT payload::text FROM events WHERE incident_id = @incidentId UNION ALL SELECT config::text FROM sources WHERE incident_id = @incidentId", new { incidentId }));
        Assert.Contains(SourcesFactory.XSecretName, everything, StringComparison.Ordinal);
        foreach (var text in new[] { listed, pastedBody, everything })
        {
            Assert.DoesNotContain(SourcesFactory.XSecretValue, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SourcesFactory.MastodonSecretValue, text, StringComparison.Ordinal);
            Assert.DoesNotContain("smuggled-token-field", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Testing_a_feed_reads_it_once_and_shows_its_first_items_or_why_it_was_refused()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Feed test check");

        var good = await (await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", RssSource("Wessex news"))).Content.ReadFromJsonAsync<JsonElement>();
        var dtd = await (await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", RssSource("Hostile", "dtd.rss"))).Content.ReadFromJsonAsync<JsonElement>();
        var missing = await (await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", RssSource("Gone", "gone.rss"))).Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(good.GetProperty("passed").GetBoolean(), good.ToString());
        Assert.Contains("3 item(s), 2 mention the keywords", good.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var items = good.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.StartsWith("River Wey flood warning", items[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(["flood"], items[0].GetProperty("matched").EnumerateArray().Select(m => m.GetString()));
        Assert.Empty(items[2].GetProperty("matched").EnumerateArray());
        Assert.False(dtd.GetProperty("passed").GetBoolean());
        Assert.Contains("DTD", dtd.GetProperty("summary").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.False(missing.GetProperty("passed").GetBoolean());
        Assert.Contains("404", missing.GetProperty("summary").GetString(), StringComparison.Ordinal);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM sources WHERE incident_id = @incidentId", new { incidentId }));
    }

    [Fact]
    public async Task Testing_x_rules_asks_x_for_a_dry_run_and_shows_its_reasons()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "X test check");

        var response = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", new
        {
            kind = "x", name = "X",
            config = new
            {
                tokenSecret = SourcesFactory.XSecretName, baseAddress = _server.BaseUrl.ToString(),
                rules = new[] { new { value = "flood guildford", tag = "flood" }, new { value = "-is:retweet", tag = "bad" } },
            },
        });
        var body = await response.Content.ReadAsStringAsync();
        var result = JsonDocument.Parse(body).RootElement;

        Assert.False(result.GetProperty("passed").GetBoolean());
        var rejected = Assert.Single(result.GetProperty("rejectedRules").EnumerateArray());
        Assert.Equal("-is:retweet", rejected.GetProperty("value").GetString());
        Assert.Contains("non-negation term", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("non-negation term", result.GetProperty("errors").GetProperty("rules[1].value").GetString(), StringComparison.Ordinal);
        // The credential was resolved and sent to X, and only to X.
        Assert.Equal($"Bearer {SourcesFactory.XSecretValue}", Assert.Single(_server.XAuthorizations));
        Assert.DoesNotContain(SourcesFactory.XSecretValue, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Testing_mastodon_and_bluesky_checks_the_config_and_the_credential_name()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Stream test check");

        var mastodon = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", new
        {
            kind = "mastodon", name = "M", config = new { instance = "https://mastodon.example/", tokenSecret = SourcesFactory.MastodonSecretName, stream = "public" },
        });
        var missing = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", new
        {
            kind = "mastodon", name = "M", config = new { instance = "https://mastodon.example/", tokenSecret = "Mastodon:Unset", stream = "public" },
        });
        var bluesky = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", new
        {
            kind = "bluesky", name = "B", config = new { keywords = new[] { "flood" }, rewindSeconds = 900 },
        });

        var ok = await mastodon.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(ok.GetProperty("passed").GetBoolean());
        Assert.Contains("is configured", ok.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var unset = await missing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(unset.GetProperty("passed").GetBoolean());
        Assert.True(unset.GetProperty("errors").TryGetProperty("tokenSecret", out _));
        var rewind = await bluesky.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(rewind.GetProperty("passed").GetBoolean());
        Assert.Contains("0 to 300", rewind.GetProperty("errors").GetProperty("rewindSeconds").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_started_rss_source_ingests_its_matching_items_and_stop_change_remove_are_recorded()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Ingest check");
        var sourceId = await AddAsync(admin, incidentId, RssSource("Wessex news"));

        var start = await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var posts = await WaitForPostsAsync(sourceId, 2);

        Assert.Equal(["River Wey flood warning extended to Godalming", "Council opens rest centre after flood"],
            posts.Select(p => p.Split('\n')[0]).OrderByDescending(p => p.StartsWith("River", StringComparison.Ordinal)));
        var listed = (await admin.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/sources"))[0];
        Assert.True(listed.GetProperty("running").GetBoolean());
        Assert.True(listed.GetProperty("enabled").GetBoolean());

        var stop = await (await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/stop", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(stop.GetProperty("changed").GetBoolean());
        Assert.Equal("stopped", stop.GetProperty("source").GetProperty("stateText").GetString());
        Assert.False(app.Services.GetRequiredService<IngestHost>().IsRunning(sourceId));

        var change = await admin.PutAsJsonAsync($"/api/incidents/{incidentId}/sources/{sourceId}",
            new { name = "Wessex Evening News", config = new { url = _server.Url("news.rss"), keywords = new[] { "flood", "rest centre" } } });
        Assert.True((await change.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetBoolean());
        var remove = await admin.DeleteAsync($"/api/incidents/{incidentId}/sources/{sourceId}");
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/sources")).EnumerateArray());
        var startRemoved = await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null);
        Assert.Equal(HttpStatusCode.Conflict, startRemoved.StatusCode);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var actions = (await connection.QueryAsync<string>(
            "SELECT action FROM events WHERE incident_id = @incidentId AND action LIKE 'source.%' ORDER BY seq", new { incidentId })).ToList();
        Assert.Equal(["source.added", "source.started", "source.stopped", "source.changed", "source.removed"], actions);
        var changed = await connection.QuerySingleAsync<string>(
            "SELECT payload::text FROM events WHERE incident_id = @incidentId AND action = 'source.changed'", new { incidentId });
        using var payload = JsonDocument.Parse(changed);
        Assert.Equal("Wessex Evening News", payload.RootElement.GetProperty("name").GetString());
        Assert.Equal(2, payload.RootElement.GetProperty("config").GetProperty("keywords").GetArrayLength());
        Assert.False(payload.RootElement.GetProperty("cursorReset").GetBoolean());
        var row = await connection.QuerySingleAsync<(bool Enabled, bool Removed)>(
            "SELECT enabled, removed_at IS NOT NULL FROM sources WHERE id = @sourceId", new { sourceId });
        Assert.Equal((false, true), row);
        // The posts it brought in stay.
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM posts WHERE source_id = @sourceId", new { sourceId }));
    }

    [Fact]
    public async Task A_removed_source_leaves_the_monitor_and_healthz_and_neither_a_disabled_nor_a_removed_source_can_be_started()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin, "Lifecycle check");
        var sourceId = await AddAsync(admin, incidentId, RssSource("Wessex news"));
        var host = app.Services.GetRequiredService<IngestHost>();
        var monitor = app.Services.GetRequiredService<SourceMonitor>();

        // Added sources are disabled until an Admin starts them: the host refuses to run one behind their back.
        var disabled = await Assert.ThrowsAsync<SourceNotStartableException>(() => host.StartSourceAsync(sourceId));
        Assert.Contains("disabled", disabled.Message, StringComparison.Ordinal);
        Assert.False(host.IsRunning(sourceId));
        Assert.Null(monitor.Get(sourceId));

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null)).StatusCode);
        await WaitForPostsAsync(sourceId, 2);
        Assert.Contains(await HealthSourceIdsAsync(), id => id == sourceId);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/incidents/{incidentId}/sources/{sourceId}")).StatusCode);

        Assert.Null(monitor.Get(sourceId));
        Assert.DoesNotContain(monitor.Snapshot(), s => s.SourceId == sourceId);
        Assert.DoesNotContain(await HealthSourceIdsAsync(), id => id == sourceId);
        var removed = await Assert.ThrowsAsync<SourceNotStartableException>(() => host.StartSourceAsync(sourceId));
        Assert.Contains("removed", removed.Message, StringComparison.Ordinal);
        Assert.False(host.IsRunning(sourceId));
        Assert.Null(monitor.Get(sourceId));
    }

    private async Task<List<int>> HealthSourceIdsAsync()
    {
        var health = await (await AdminAsync()).GetFromJsonAsync<JsonElement>("/healthz/detail");
        return health.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("id").GetInt32()).ToList();
    }

    /// <summary>Waits until the source has stored <paramref name="count"/> posts: a fact to wait for, with a generous guard against hanging.</summary>
    private async Task<List<string>> WaitForPostsAsync(int sourceId, int count)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
            {
                var texts = (await connection.QueryAsync<string>("SELECT text FROM posts WHERE source_id = @sourceId", new { sourceId })).ToList();
                if (texts.Count >= count)
                    return texts;
            }
            if (guard.IsCancellationRequested)
                throw new TimeoutException($"source {sourceId} stored fewer than {count} posts; state: {app.Services.GetRequiredService<SourceMonitor>().Get(sourceId)}");
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
