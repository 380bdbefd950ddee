using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.IntegrationTests.Sources;

/// <summary>
/// The host as production runs it: no allow-list, no http for credentials. An X credential configured the plain way
/// (bound to X's own hosts), and an import directory of its own.
/// </summary>
public sealed class ProductionDefaultsFactory : CrisisDeskFactory
{
    public const string XSecretValue = "AAAA-production-x-bearer-51d0";

    public string ImportDirectory { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"crisisdesk-imports-{Guid.NewGuid():N}")).FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(
        base.Settings.Where(s => s.Key is not ("CrisisDesk:Network:AllowedHosts" or "CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback")))
    {
        ["CrisisDesk:Secrets:X:BearerToken"] = XSecretValue,
        ["CrisisDesk:Replay:ImportDirectory"] = ImportDirectory,
    };

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(ImportDirectory))
            Directory.Delete(ImportDirectory, recursive: true);
    }
}

/// <summary>Issue 16's cases 8–10 through the real host: where credentials, replay files and feed requests may go.</summary>
public sealed class SourceSecurityTests(ProductionDefaultsFactory app) : IClassFixture<ProductionDefaultsFactory>, IAsyncLifetime
{
    private FakeServer _server = null!;
    private int _requests;
    private readonly List<string> _authorizations = [];

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync(web =>
    {
        web.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requests);
            lock (_authorizations)
                _authorizations.Add(context.Request.Headers.Authorization.ToString());
            await next(context);
        });
        web.MapGet("/news.rss", () => Results.Text("<rss version=\"2.0\"><channel><title>Internal</title><item><title>internal flood memo</title></item></channel></rss>", "application/rss+xml"));
        web.MapPost("/2/tweets/search/stream/rules", () => Results.Json(new { meta = new { sent = "2026-12-04T00:00:00Z" } }));
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpClient> AdminAsync() => app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);

    private static async Task<int> OpenIncidentAsync(HttpClient admin)
    {
        var response = await admin.PostAsJsonAsync("/api/incidents", new { name = "Security check " + Guid.NewGuid().ToString("N")[..6], keywords = new[] { "flood" } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static async Task<JsonElement> TestAsync(HttpClient admin, int incidentId, object request)
    {
        var response = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources/test", request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_feed_test_refuses_loopback_metadata_and_private_addresses_alike_whether_a_port_is_open_or_closed()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin);
        var open = new Uri(_server.Address, "news.rss");
        var closed = new Uri($"http://127.0.0.1:{FreePort()}/news.rss");
        string[] others = [$"http://localhost:{_server.Address.Port}/news.rss", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed.rss", "http://[::1]:9/feed.rss"];

        var summaries = new List<string>();
        foreach (var url in others.Prepend(closed.ToString()).Prepend(open.ToString()))
        {
            var result = await TestAsync(admin, incidentId, new { kind = "rss", name = "probe", config = new { url } });
            Assert.False(result.GetProperty("passed").GetBoolean(), url);
            var summary = result.GetProperty("summary").GetString()!;
            Assert.Contains("CrisisDesk:Network:AllowedHosts", summary, StringComparison.Ordinal);
            Assert.DoesNotContain("internal flood memo", result.ToString(), StringComparison.Ordinal);
            summaries.Add(summary);
        }
        // Open and closed ports read the same: nothing was connected to find out.
        Assert.Equal(summaries[0].Replace(open.Port.ToString(CultureInfo.InvariantCulture), "PORT", StringComparison.Ordinal),
            summaries[1].Replace(closed.Port.ToString(CultureInfo.InvariantCulture), "PORT", StringComparison.Ordinal));
        Assert.Equal(0, Volatile.Read(ref _requests));
    }

    [Fact]
    public async Task An_x_source_never_sends_the_x_credential_to_another_host_or_over_http()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin);
        var source = new
        {
            kind = "x", name = "X",
            config = new { tokenSecret = "X:BearerToken", rules = new[] { new { value = "flood" } }, baseAddress = _server.Address.ToString() },
        };

        var test = await TestAsync(admin, incidentId, source);
        var add = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", source);

        Assert.False(test.GetProperty("passed").GetBoolean());
        var error = test.GetProperty("errors").GetProperty("baseAddress").GetString()!;
        Assert.Contains("only sent to api.x.com, api.twitter.com, not to 127.0.0.1", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, add.StatusCode);
        Assert.Equal(0, Volatile.Read(ref _requests));
        Assert.DoesNotContain(_authorizations, a => a.Contains(ProductionDefaultsFactory.XSecretValue, StringComparison.Ordinal));

        var plainHttp = await TestAsync(admin, incidentId, new
        {
            kind = "x", name = "X",
            config = new { tokenSecret = "X:BearerToken", rules = new[] { new { value = "flood" } }, baseAddress = "http://api.x.com/" },
        });
        Assert.Contains("only sent over https", plainHttp.GetProperty("errors").GetProperty("baseAddress").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mastodon_source_with_the_x_credential_is_refused()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin);

        var add = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", new
        {
            kind = "mastodon", name = "M",
            config = new { instance = "https://mastodon.social/", tokenSecret = "X:BearerToken", stream = "public" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, add.StatusCode);
        var problem = await add.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("is for x, not mastodon", problem.GetProperty("errors").GetProperty("tokenSecret")[0].GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_files_outside_the_import_directory_are_refused_with_the_same_message_whether_or_not_they_exist()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin);
        var outside = Path.Combine(Path.GetTempPath(), $"crisisdesk-outside-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(outside, PostJsonLinesFormat.ToLine(Post(1)) + "\n");
        var link = Path.Combine(app.ImportDirectory, $"link-{Guid.NewGuid():N}.jsonl");
        File.CreateSymbolicLink(link, outside);
        try
        {
            string[] files = ["/etc/shadow", "/etc/no-such-file", "../../../../../../etc/passwd", $"../{Path.GetFileName(outside)}", Path.GetFileName(link), "/nonexistent/../etc/hostname"];
            foreach (var file in files)
            {
                var result = await TestAsync(admin, incidentId, new { kind = "replay", name = "R", config = new { file, format = "post.jsonl" } });
                Assert.False(result.GetProperty("passed").GetBoolean(), file);
                Assert.Equal($"The file \"{file}\" was not found in the import directory.", result.GetProperty("errors").GetProperty("file").GetString());
                var add = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", new { kind = "replay", name = "R", config = new { file, format = "post.jsonl" } });
                Assert.Equal(HttpStatusCode.BadRequest, add.StatusCode);
            }
        }
        finally
        {
            File.Delete(outside);
            File.Delete(link);
        }
    }

    [Fact]
    public async Task An_uploaded_replay_file_is_saved_under_a_safe_name_recorded_and_replays()
    {
        var admin = await AdminAsync();
        var incidentId = await OpenIncidentAsync(admin);
        var lines = string.Join("\n", Enumerable.Range(1, 5).Select(n => PostJsonLinesFormat.ToLine(Post(n))));
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(Encoding.UTF8.GetBytes(lines));
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "file", "../../evil name.jsonl");

        var (operatorName, password) = await app.CreateUserAsync(Roles.Operator);
        var refused = await (await app.SignedInClientAsync(operatorName, password)).PostAsync($"/api/incidents/{incidentId}/sources/replay-files", form);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var upload = await admin.PostAsync($"/api/incidents/{incidentId}/sources/replay-files", form);
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var imported = await upload.Content.ReadFromJsonAsync<JsonElement>();
        var file = imported.GetProperty("file").GetString()!;
        Assert.Equal("evil_name.jsonl", file);
        Assert.Equal("post.jsonl", imported.GetProperty("format").GetString());
        Assert.True(File.Exists(Path.Combine(app.ImportDirectory, file)));

        var notReplay = new MultipartFormDataContent { { new ByteArrayContent("just some text"u8.ToArray()), "file", "notes.txt" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync($"/api/incidents/{incidentId}/sources/replay-files", notReplay)).StatusCode);

        var add = await admin.PostAsJsonAsync($"/api/incidents/{incidentId}/sources", new { kind = "replay", name = "Uploaded", config = new { file, format = "post.jsonl", speed = 1_000_000, maxGapSeconds = 0 } });
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        var sourceId = (await add.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", null)).StatusCode);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts WHERE source_id = @sourceId", new { sourceId }) < 5)
            await Task.Delay(100, guard.Token);
        var recorded = await connection.QuerySingleAsync<string>(
            "SELECT payload::text FROM events WHERE action = 'source.replay_file_uploaded' AND incident_id = @incidentId", new { incidentId });
        Assert.Contains("evil_name.jsonl", recorded, StringComparison.Ordinal);
        Assert.Contains("sha256", recorded, StringComparison.Ordinal);
    }

    private static Post Post(int n) => new()
    {
        Platform = "x",
        ExternalId = (7_100_000 + n).ToString(CultureInfo.InvariantCulture),
        CreatedAt = new DateTimeOffset(2026, 12, 4, 9, n, 0, TimeSpan.Zero),
        AuthorHandle = $"resident{n}",
        AuthorName = $"Resident {n}",
        Text = $"flood report {n}",
        Language = "en",
    };
}
