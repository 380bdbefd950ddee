using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// Issue 13's end-to-end test, all on loopback and started here: PostgreSQL, redis-server, nginx on the repository's
/// own site file (deploy/nginx/crisisdesk.conf: TLS, WebSocket upgrade, ip_hash), two ingest nodes and two web nodes,
/// each the real executable. An operator starts a drill in Chromium through nginx; mid-replay the ingest node running
/// the source and the web node holding the browser's circuit are killed with SIGKILL. The page comes back by itself on
/// the other web node, on the same incident, and ends with exactly the drill's posts, none twice (on the page and in
/// the database); the surviving web node moves to the second ingest node's hub (its connect counter) and stays ready,
/// read through nginx, while the first is down; the killed ingest node is then restarted, as its systemd unit would.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class FourNodeFailoverTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const int DrillPosts = 238;
    private const string AdminPassword = "four-node-admin-password";
    private const string ClusterKey = "four-node-cluster-key-0123456789abcdef";
    private const string Healthy = """{"status":"Healthy","checks":{"database":"Healthy","feed-hub":"Healthy"}}""";

    private readonly List<IAsyncDisposable> _running = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TestDatabase _database = default!;
    private RedisServer _redis = default!;

    public async Task InitializeAsync()
    {
        var database = TestDatabase.CreateEmptyAsync();
        var redis = RedisServer.StartAsync();
        _database = await database;
        _redis = await redis;
    }

    [Fact]
    public async Task Losing_an_ingest_node_and_the_browsers_web_node_mid_drill_the_page_comes_back_on_the_incident_with_every_post_once()
    {
        // The addresses first: nginx's upstreams and the web nodes' hub are set before anything listens.
        Uri[] ingest = [Loopback(), Loopback()];
        Uri[] web = [Loopback(), Loopback()];
        var nginx = await NginxServer.StartAsync(Path.Combine(Repository.Root, "deploy", "nginx", "crisisdesk.conf"), new Dictionary<string, IReadOnlyList<Uri>>
        {
            ["crisisdesk_web"] = web,
            ["crisisdesk_ingest"] = ingest,
        });
        _running.Add(nginx);

        // On the first ingest node, the drill at 100 times its real pace with gaps cut to 0.5 s: its first 20 posts in
        // some 5 s, the whole in some 85 s, so that the second node is up well before the end even on a loaded machine.
        // The second, and the first once restarted, finish what is left at once.
        Dictionary<string, string> Ingest(int n, bool slow) => new()
        {
            ["ConnectionStrings:CrisisDesk"] = _database.ConnectionString,
            ["CrisisDesk:Roles"] = "ingest",
            ["CrisisDesk:Admin:Password"] = AdminPassword,
            ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
            ["CrisisDesk:Nodes:ClusterKey"] = ClusterKey,
            ["CrisisDesk:Nodes:Name"] = $"ingest-{n}",
            ["CrisisDesk:Nodes:LeaseSeconds"] = "2",
            ["CrisisDesk:Redis"] = _redis.Configuration,
            ["CrisisDesk:Drill:Speed"] = slow ? "100" : "1000000",
            ["CrisisDesk:Drill:MaxGapSeconds"] = slow ? "0.5" : "0",
        };
        Dictionary<string, string> Web() => new()
        {
            ["ConnectionStrings:CrisisDesk"] = _database.ConnectionString,
            ["CrisisDesk:Roles"] = "web",
            ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
            ["CrisisDesk:Nodes:ClusterKey"] = ClusterKey,
            // As deploy/env/web.env.example: both web nodes follow the first ingest node's hub, move to the second's when
            // it is lost, and sweep PostgreSQL.
            ["CrisisDesk:Nodes:IngestHubUrls:0"] = new Uri(ingest[0], "/hubs/feed").ToString(),
            ["CrisisDesk:Nodes:IngestHubUrls:1"] = new Uri(ingest[1], "/hubs/feed").ToString(),
            // As deploy/env/common.env.example: the public address, and nginx on this host as the trusted proxy.
            ["CrisisDesk:PublicBaseUrl"] = nginx.BaseAddress.ToString(),
            ["CrisisDesk:Proxy:KnownProxies:0"] = "127.0.0.1",
            ["CrisisDesk:Telemetry:Prometheus"] = "true",
        };

        // The first ingest node migrates the database and creates the admin; then the web nodes, side by side.
        var ingest1 = await StartAsync(Ingest(1, slow: true), "ingest-1", ingest[0]);
        var webNodes = await Task.WhenAll(StartAsync(Web(), "web-1", web[0]), StartAsync(Web(), "web-2", web[1]));
        Log("ingest-1, web-1 and web-2 up");

        using var http = new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        }) { BaseAddress = nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        // Through nginx, a page sends a stranger to sign in at nginx's own address (scheme, host and port).
        using (var anonymous = await http.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith(new Uri(nginx.BaseAddress, "/login").ToString(), anonymous.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
        }
        Assert.Equal(Healthy, await ReadyAsync(http));

        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = nginx.BaseAddress.ToString(),
            IgnoreHTTPSErrors = true, // the certificate is the test's own, self-signed
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        _running.Add(context);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/");
        await page.WaitForCircuitAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Start a drill" }).ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/incidents/\d+$"));
        var incidentUrl = page.Url;
        await page.WaitForCircuitAsync();
        var title = await page.Locator("#incident-title").InnerTextAsync();
        Assert.StartsWith("Drill:", title, StringComparison.Ordinal);
        Log($"drill started at {incidentUrl}");

        // The second ingest node joins while the first replays (started now, so that the first one took the source).
        var starting2 = StartAsync(Ingest(2, slow: false), "ingest-2", ingest[1]);
        Assert.Equal("ingest-1", await EventuallyAsync(_database.LeaseOwnerAsync, owner => owner is not null, "an ingest node to take the drill's source"));
        var ingest2 = await starting2;
        await page.FeedTotalEventuallyAsync(total => total >= 20, "the first posts in the browser");

        // The browser's circuit is on one web node (ip_hash): the one whose circuit gauge is up.
        var circuits = await Task.WhenAll(webNodes.Select(CircuitsAsync));
        Assert.True(circuits.Count(c => c > 0) == 1, $"open circuits on web-1 and web-2: {string.Join(", ", circuits)}");
        var lost = Array.FindIndex(circuits, c => c > 0);
        var survivor = webNodes[1 - lost];

        var shownAtKill = await page.FeedTotalAsync();
        await Task.WhenAll(ingest1.KillAsync(), webNodes[lost].KillAsync());
        var killed = Stopwatch.StartNew();
        var storedAtKill = await _database.PostsStoredAsync();
        Log($"killed ingest-1 and web-{lost + 1} (the browser's) at {storedAtKill} posts stored, {shownAtKill} shown");
        Assert.InRange(storedAtKill, 20, DrillPosts - 1);

        // The loss of its hub, as a monitor sees it: the surviving web node connected a second time, to ingest-2's hub,
        // and is ready with it (through nginx too) while ingest-1 is still down.
        await EventuallyAsync(() => HubConnectsAsync(survivor), connects => connects >= 2, "the surviving web node to follow ingest-2's hub");
        Assert.Equal(Healthy, await EventuallyAsync(() => ReadyAsync(http), body => body == Healthy, "readiness through nginx with ingest-2's hub"));
        Log($"web-{2 - lost} followed ingest-2's hub {killed.Elapsed.TotalSeconds:0.0} s after the kill");
        Assert.Equal("""{"status":"Healthy","checks":{"database":"Healthy","ingest-leases":"Healthy"}}""", await ReadyAsync(ingest2));

        // The second ingest node takes the source once its lease expires (2 s), and resumes from the cursor.
        await EventuallyAsync(_database.LeaseOwnerAsync, owner => owner == "ingest-2", "ingest-2 to take the source");
        Log($"ingest-2 took the source {killed.Elapsed.TotalSeconds:0.0} s after the kill");

        // The page reconnects by itself, through nginx, to the surviving web node (a circuit opens there), on the same incident.
        await EventuallyAsync(() => CircuitsAsync(survivor), open => open > 0, "the page to open a circuit on the surviving web node");
        await page.WaitForCircuitAsync();
        Assert.Equal(incidentUrl, page.Url);
        Assert.Equal(title, await page.Locator("#incident-title").InnerTextAsync());
        Log($"the page is back on web-{2 - lost} {killed.Elapsed.TotalSeconds:0.0} s after the kill");

        // The killed ingest node comes back (systemd's Restart=always, same name and port); everything stays ready.
        await StartAsync(Ingest(1, slow: false), "ingest-1-restarted", ingest[0]);
        Assert.Equal(Healthy, await EventuallyAsync(() => ReadyAsync(http), body => body == Healthy, "readiness through nginx to recover"));
        Assert.Equal(Healthy, await ReadyAsync(survivor));
        Log($"readiness recovered {killed.Elapsed.TotalSeconds:0.0} s after the kill");

        // Exactly the drill: in the database, each post once, and on the page.
        await EventuallyAsync(_database.CursorAsync, cursor => cursor == DrillPosts.ToString(CultureInfo.InvariantCulture), "the drill to finish");
        List<long> stored;
        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        {
            var (posts, distinct, counted) = await connection.QuerySingleAsync<(long, long, long)>(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(DISTINCT external_id) FROM posts), (SELECT posts_stored FROM sources)");
            Assert.Equal((DrillPosts, DrillPosts, DrillPosts), (posts, distinct, counted));
            stored = (await connection.QueryAsync<long>("SELECT id FROM posts ORDER BY id DESC")).ToList();
        }
        // The page's total is counted as news arrives (FeedCounter: the new circuit's first read, then each range announced),
        // so a post shown twice would count twice: it must settle on exactly the drill.
        Assert.Equal(DrillPosts, await page.FeedTotalEventuallyAsync(total => total >= DrillPosts, $"the page to show all {DrillPosts} posts"));
        var windows = await FeedWindowsAsync(page, stored);
        Log($"the feed's windows: {string.Join("; ", windows.Select(w => $"{w[0]}..{w[^1]}"))} ({windows.SelectMany(w => w).Distinct().Count()} of {DrillPosts} posts seen)");
        Assert.Equal(DrillPosts, await page.FeedTotalAsync());
        Assert.Equal(incidentUrl, page.Url);
        Log("done");
    }

    /// <summary>
    /// The feed read at eleven points from its top to its bottom in a tall browser window: each window Virtualize renders
    /// there must be a run of the stored posts, newest first (none missing between two shown, none twice), the first
    /// starting at the newest post and the last ending at the oldest. Returns the windows read. (Not every post is seen:
    /// a script's scroll lands where Virtualize's estimate of the heights it has not measured puts it, and a run of posts
    /// between two windows can go unrendered; scrolling a post into view does no better, as the window is re-placed.)
    /// </summary>
    private static async Task<List<long[]>> FeedWindowsAsync(IPage page, IReadOnlyList<long> storedNewestFirst)
    {
        const string window = """
            f => {
              if (f.querySelector('.wr-feed-skeleton')) return null;
              const box = f.getBoundingClientRect();
              const posts = [...f.querySelectorAll('article.post')];
              const visible = posts.map(p => p.getBoundingClientRect()).filter(r => r.bottom > box.top && r.top < box.bottom);
              if (visible.length === 0) return null;
              const atEnd = f.scrollTop + f.clientHeight >= f.scrollHeight - 2;
              if (visible[0].top > box.top + 16 || (!atEnd && visible[visible.length - 1].bottom < box.bottom - 16)) return null;
              return JSON.stringify(posts.map(a => Number(a.dataset.postId)));
            }
            """;
        await page.SetViewportSizeAsync(1400, 4000);
        var windows = new List<long[]>();
        var feed = page.GetByTestId("feed");
        for (var step = 0; step <= 10; step++)
        {
            var share = step / 10.0;
            // Scrolled again at each read: the list's height grows as Virtualize measures rows, so the bottom moves
            // until the oldest post is rendered.
            var json = await PageActions.EventuallyAsync(
                async () =>
                {
                    await feed.EvaluateAsync("(f, share) => f.scrollTop = Math.round((f.scrollHeight - f.clientHeight) * share)", share);
                    return await feed.EvaluateAsync<string?>(window);
                },
                w => w is not null && (step < 10 || w.EndsWith($",{storedNewestFirst[^1]}]", StringComparison.Ordinal) || w == $"[{storedNewestFirst[^1]}]"),
                "the feed to render where it was scrolled to", TimeSpan.FromSeconds(20));
            var ids = System.Text.Json.JsonSerializer.Deserialize<long[]>(json!)!;
            var at = storedNewestFirst.ToList().IndexOf(ids[0]);
            Assert.True(at >= 0 && storedNewestFirst.Skip(at).Take(ids.Length).SequenceEqual(ids),
                $"the feed's window at {step * 10} % is not a run of the stored posts, newest first: {string.Join(", ", ids)}");
            windows.Add(ids);
        }
        Assert.Equal(storedNewestFirst[0], windows[0][0]);
        Assert.Equal(storedNewestFirst[^1], windows[^1][^1]);
        return windows;
    }

    private async Task<AppProcess> StartAsync(Dictionary<string, string> settings, string name, Uri address)
    {
        var app = await AppProcess.StartAsync(settings, $"{nameof(FourNodeFailoverTests)}-{name}", baseAddress: address);
        lock (_running)
            _running.Add(app);
        return app;
    }

    private static Task<long> CircuitsAsync(AppProcess webNode) => MetricAsync(webNode, CircuitGauge());

    private static Task<long> HubConnectsAsync(AppProcess webNode) => MetricAsync(webNode, HubConnectsCounter());

    private static async Task<long> MetricAsync(AppProcess webNode, Regex metric)
    {
        using var client = new HttpClient { BaseAddress = webNode.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await client.GetStringAsync("/metrics");
        var match = metric.Match(metrics);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"(?m)^crisisdesk_circuits_open\S*\s+(\d+)")]
    private static partial Regex CircuitGauge();

    [GeneratedRegex(@"(?m)^crisisdesk_hub_connects\S*\s+(\d+)")]
    private static partial Regex HubConnectsCounter();

    private static async Task<string> ReadyAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync("/healthz/ready");
            return await response.Content.ReadAsStringAsync();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"({e.Message})";
        }
    }

    private static async Task<string> ReadyAsync(AppProcess node)
    {
        using var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        return await ReadyAsync(client);
    }

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what) =>
        PageActions.EventuallyAsync(read, condition, what, TimeSpan.FromSeconds(60));

    private void Log(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {what}");

    private static Uri Loopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
    }

    public async Task DisposeAsync()
    {
        // Browser context and processes in reverse order, then Redis and the database.
        for (var i = _running.Count - 1; i >= 0; i--)
            await _running[i].DisposeAsync();
        if (_redis is not null)
            await _redis.DisposeAsync();
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
