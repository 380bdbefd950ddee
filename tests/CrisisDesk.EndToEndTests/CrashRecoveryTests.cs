using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The promise of the pipeline, tested on the real executable: killed with SIGKILL mid-drill and started again,
/// CrisisDesk ends with exactly the source's posts, none lost and none twice.
/// </summary>
public sealed partial class CrashRecoveryTests : IAsyncLifetime
{
    private const int DrillPosts = 238;
    private const string AdminPassword = "crash-test-admin-password";
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateEmptyAsync();

    [Fact]
    public async Task Killed_mid_drill_and_restarted_it_stores_every_post_exactly_once()
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:CrisisDesk"] = _database.ConnectionString,
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            ["CrisisDesk:Drill:Speed"] = "1000",
            ["CrisisDesk:Drill:MaxGapSeconds"] = "0.1",
        };
        var first = await AppProcess.StartAsync(settings);
        await PageActions.EventuallyAsync(StoredAsync, n => n >= 30, "the drill to store its first posts");
        await first.KillAsync();
        var storedAtKill = await StoredAsync();
        Assert.InRange(storedAtKill, 30, DrillPosts - 1);

        settings["CrisisDesk:Drill:Speed"] = "1000000";
        settings["CrisisDesk:Drill:MaxGapSeconds"] = "0";
        await using var second = await AppProcess.StartAsync(settings);
        await PageActions.EventuallyAsync(() => SourceStateAsync(second), state => state == "Completed", "the resumed drill to complete");

        await using var connection = await _database.DataSource.OpenConnectionAsync();
        var (posts, distinct, counted, cursor, quarantined) = await connection.QuerySingleAsync<(long, long, long, string, long)>("""
            SELECT (SELECT count(*) FROM posts), (SELECT count(DISTINCT external_id) FROM posts),
                   s.posts_stored, s.cursor, s.quarantined
              FROM sources s
            """);
        Assert.Equal(DrillPosts, posts);
        Assert.Equal(DrillPosts, distinct);
        Assert.Equal(DrillPosts, counted);
        Assert.Equal(DrillPosts.ToString(System.Globalization.CultureInfo.InvariantCulture), cursor);
        Assert.Equal(0, quarantined);
    }

    private async Task<long> StoredAsync()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM posts");
    }

    /// <summary>The drill's state from the health detail, which only a signed-in user may read.</summary>
    private static async Task<string?> SourceStateAsync(AppProcess app)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        var login = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(login).Groups[1].Value;
        using var signIn = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["userName"] = "admin",
            ["password"] = AdminPassword,
        }));
        var health = await client.GetFromJsonAsync<JsonElement>("/healthz/detail");
        return health.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("state").GetString()).SingleOrDefault();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public async Task DisposeAsync() => await _database.DisposeAsync();
}
