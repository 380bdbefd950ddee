// Push latency, commit → subscriber (issue 13's performance section).
//
// The real CrisisDesk host (Program, every service as in production) runs in this process as nodes, each its own
// WebApplicationFactory: ingest nodes on Kestrel (loopback ports, so the hub is reached over real HTTP/WebSockets) and
// a web-only node subscribed to one of them as in production (CrisisDesk:Nodes:IngestHubUrl, the cluster key). The
// writing node's pipeline ingests at a steady rate from a paced JSON Lines source; every time below is read from one
// monotonic clock (Stopwatch) in this one process:
//
//   commit      the writing node's in-process LiveFeed delivers the committed batch to a subscriber of the bench's own
//               (throttle 0), as it does to the node's FeedBroadcaster: the pipeline publishes right after its commit.
//               Both deliveries are one thread-pool hop after the publish, so the figures leave that hop out (a
//               negative minimum would show the bench's own delivery running after the broadcaster's push).
//   subscriber  a .NET SignalR client with the cluster key (FollowAll, as a web node connects) receives the FeedBatch.
//   web node    the web node's own LiveFeed (what its war rooms read) delivers the posts: the hub's batch arrived and
//               the node read the posts after its last id from PostgreSQL. Its sweep is off (SweepSeconds 0), so each
//               post it shows came through the push.
//
// Cases: (a) one ingest node, subscriber and web node connected to it; (b) two ingest nodes on one Redis backplane
// (a private redis-server), subscriber and web node connected to the node that does NOT run the source, so every
// batch crosses Redis. The source is leased to the writing node, whose pipeline writes under that lease. Each at each rate (default 500 and 5,000 posts/s) on a fresh incident, after a warm-up.
// Latency per received batch = receive − commit of the oldest post in it. Afterwards the posts received are checked
// against PostgreSQL: none lost, none twice.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.Bench.Shared;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrisisDesk.Bench.Push;

internal static class PushBench
{
    internal const string ClusterKey = "bench-push-cluster-key-0123456789abcdef";

    private static async Task<int> Main(string[] args)
    {
        var seconds = IntOption(args, "--seconds", 20);
        var warmup = IntOption(args, "--warmup", 3);
        var rates = (Option(args, "--rates") ?? "500,5000").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();

        Console.WriteLine($"CrisisDesk push bench: commit → subscriber, {seconds} s per case at {string.Join(" and ", rates)} posts/s (after a {warmup} s warm-up per topology).");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {MachineLoad.Uptime()}");

        await using var database = await TestDatabase.CreateMigratedAsync();
        await using var redis = await RedisServer.StartAsync();
        var results = new List<CaseResult>();

        // (a) One ingest node.
        {
            await using var ingest = new BenchNode(database.ConnectionString, "ingest", listen: true).Start();
            await using var web = new BenchNode(database.ConnectionString, "web", new Dictionary<string, string?>
            {
                ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(ingest.Address, FeedHub.Path).ToString(),
                ["CrisisDesk:Nodes:SweepSeconds"] = "0",
            }).Start();
            await using var subscriber = await Subscriber.ConnectAsync(ingest.Address);
            var topology = new Topology("one node", ingest, subscriber, web);
            await WarmUpAsync(database, topology, warmup);
            foreach (var rate in rates)
                results.Add(await RunCaseAsync(database, topology, rate, seconds, report: true));
        }

        // (b) Two ingest nodes on the Redis backplane; the subscriber and the web node on the one that does not write.
        {
            var backplane = new Dictionary<string, string?> { ["CrisisDesk:Redis"] = redis.Configuration };
            await using var writing = new BenchNode(database.ConnectionString, "ingest", backplane, listen: true).Start();
            await using var serving = new BenchNode(database.ConnectionString, "ingest", backplane, listen: true).Start();
            await using var web = new BenchNode(database.ConnectionString, "web", new Dictionary<string, string?>
            {
                ["CrisisDesk:Nodes:IngestHubUrl"] = new Uri(serving.Address, FeedHub.Path).ToString(),
                ["CrisisDesk:Nodes:SweepSeconds"] = "0",
            }).Start();
            await using var subscriber = await Subscriber.ConnectAsync(serving.Address);
            var topology = new Topology("two nodes + Redis", writing, subscriber, web);
            await WarmUpAsync(database, topology, warmup);
            foreach (var rate in rates)
                results.Add(await RunCaseAsync(database, topology, rate, seconds, report: true));
        }

        Console.WriteLine();
        Console.WriteLine("Latency per received batch: receive − commit of its oldest post (ms). Subscriber: SignalR client with the cluster key; web node: its LiveFeed after reading the posts from PostgreSQL.");
        Console.WriteLine();
        Console.WriteLine("| Case | Rate (target / achieved posts/s) | Committed (posts / commits) | Receiver | Batches | Posts | Lost | Twice | min | p50 | p95 | p99 | max | Load before → after |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var failed = false;
        foreach (var r in results)
        {
            foreach (var receiver in new[] { r.Subscriber, r.Web })
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Topology} | {r.Rate:N0} / {r.Achieved:N0} | {r.Committed:N0} / {r.Commits:N0} | {receiver.Name} | {receiver.Batches:N0} | {receiver.Posts:N0} | {receiver.Lost:N0} | {receiver.Twice:N0} | {Ms(receiver.Latencies, 0)} | {Ms(receiver.Latencies, 0.50)} | {Ms(receiver.Latencies, 0.95)} | {Ms(receiver.Latencies, 0.99)} | {Ms(receiver.Latencies, 1.0)} | {r.LoadBefore} → {r.LoadAfter} |"));
                failed |= receiver.Lost != 0 || receiver.Twice != 0;
            }
        }
        Console.WriteLine();
        Console.WriteLine(failed ? "SOME POSTS WERE LOST OR RECEIVED TWICE (see the table)." : "Every committed post reached both receivers exactly once.");
        Console.WriteLine($"Done; {MachineLoad.Uptime()}");
        return failed ? 1 : 0;
    }

    /// <summary>
    /// A short run at 500 posts/s that is not reported: JIT, connection pools, the web node's first connect (which
    /// reads whatever it missed). It must arrive whole at both receivers before anything is measured.
    /// </summary>
    private static async Task WarmUpAsync(TestDatabase database, Topology topology, int seconds)
    {
        var result = await RunCaseAsync(database, topology, 500, Math.Max(1, seconds), report: false);
        if (result.Subscriber.Lost + result.Web.Lost > 0)
            throw new InvalidOperationException($"The warm-up did not reach both receivers ({topology.Name}: subscriber lost {result.Subscriber.Lost}, web node lost {result.Web.Lost}).");
    }

    private static async Task<CaseResult> RunCaseAsync(TestDatabase database, Topology topology, int rate, int seconds, bool report)
    {
        int incidentId, sourceId;
        var writerName = topology.Writer.Services.GetRequiredService<IngestNodeSettings>().NodeName;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await using var incident = new NpgsqlCommand("INSERT INTO incidents (name) VALUES (@name) RETURNING id", connection);
            incident.Parameters.AddWithValue("name", $"Push bench {topology.Name} {rate}/s {Guid.NewGuid():N}");
            incidentId = (int)(await incident.ExecuteScalarAsync())!;
            // A kind no connector runs, leased to the writing node from the start (for longer than the bench runs, so
            // no other node takes it): that node owns the source, and its pipeline writes under the lease, as in production.
            await using var source = new NpgsqlCommand("""
                WITH source AS (INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'push bench') RETURNING id),
                     lease AS (INSERT INTO source_leases (source_id, node, expires_at) SELECT id, @node, now() + interval '1 hour' FROM source)
                SELECT id FROM source
                """, connection);
            source.Parameters.AddWithValue("incidentId", incidentId);
            source.Parameters.AddWithValue("node", writerName);
            sourceId = (int)(await source.ExecuteScalarAsync())!;
        }
        if (report)
            Console.WriteLine($"{topology.Name}, {rate:N0} posts/s for {seconds} s (incident {incidentId}); {MachineLoad.Uptime()}");
        var loadBefore = MachineLoad.LoadAverage();

        // Commit times: the writing node's LiveFeed, as its FeedBroadcaster hears it.
        var committedAt = new ConcurrentDictionary<long, long>();
        var commits = 0;
        using var commitWatch = topology.Writer.Services.GetRequiredService<LiveFeed>().Subscribe(incidentId, update =>
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref commits);
            foreach (var post in update.Posts)
                committedAt.TryAdd(post.Id, now);
            return Task.CompletedTask;
        }, TimeSpan.Zero);
        var subscriber = topology.Subscriber.Watch(incidentId);
        var web = new Receipts("web node");
        using var webWatch = topology.Web.Services.GetRequiredService<LiveFeed>().Subscribe(incidentId, update =>
        {
            web.Add(Stopwatch.GetTimestamp(), update.Posts.Select(p => p.Id).ToList());
            return Task.CompletedTask;
        }, TimeSpan.Zero);

        var planned = rate * seconds;
        var clock = Stopwatch.StartNew();
        await topology.Writer.Services.GetRequiredService<IngestPipeline>().RunAsync(
            new SourceRun(sourceId, incidentId, new PacedSource(rate, planned, incidentId), null, writerName), CancellationToken.None);
        var elapsed = clock.Elapsed;

        List<long> stored;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await using var read = new NpgsqlCommand("SELECT id FROM posts WHERE incident_id = @incidentId ORDER BY id", connection);
            read.Parameters.AddWithValue("incidentId", incidentId);
            stored = [];
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                stored.Add(reader.GetInt64(0));
        }
        // Whatever is still on its way: until both have every post, or 30 s after the last commit.
        await WaitForAsync(() => subscriber.DistinctPosts >= stored.Count && web.DistinctPosts >= stored.Count && committedAt.Count >= stored.Count, TimeSpan.FromSeconds(30), null);
        await Task.Delay(TimeSpan.FromSeconds(1)); // anything arriving twice arrives now
        topology.Subscriber.Unwatch();
        var loadAfter = MachineLoad.LoadAverage();

        var result = new CaseResult(topology.Name, rate, stored.Count / elapsed.TotalSeconds, stored.Count, commits,
            subscriber.Summarise(stored, committedAt), web.Summarise(stored, committedAt), loadBefore, loadAfter);
        if (report)
        {
            foreach (var r in new[] { result.Subscriber, result.Web })
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {r.Name,-10}: {r.Batches:N0} batches, {r.Posts:N0} posts of {stored.Count:N0} ({r.Lost} lost, {r.Twice} twice); min {Ms(r.Latencies, 0)}, p50 {Ms(r.Latencies, 0.5)}, p95 {Ms(r.Latencies, 0.95)}, p99 {Ms(r.Latencies, 0.99)}, max {Ms(r.Latencies, 1)} ms"));
        }
        return result;
    }

    private static string Ms(IReadOnlyList<double> sorted, double quantile)
    {
        if (sorted.Count == 0)
            return "–";
        var index = Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1);
        return sorted[index].ToString(Math.Abs(sorted[index]) < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan patience, string? what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > patience)
            {
                if (what is not null)
                    throw new TimeoutException($"Timed out waiting until {what}.");
                return;
            }
            await Task.Delay(20);
        }
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}

internal sealed record Topology(string Name, BenchNode Writer, Subscriber Subscriber, BenchNode Web);

internal sealed record ReceiverResult(string Name, int Batches, int Posts, int Lost, int Twice, IReadOnlyList<double> Latencies);

internal sealed record CaseResult(string Topology, int Rate, double Achieved, int Committed, int Commits, ReceiverResult Subscriber, ReceiverResult Web, string LoadBefore, string LoadAfter);

/// <summary>What one receiver got: each delivery's time and post ids.</summary>
internal sealed class Receipts(string name)
{
    private readonly ConcurrentQueue<(long At, IReadOnlyList<long> Ids)> _deliveries = new();
    private readonly ConcurrentDictionary<long, byte> _distinct = new();

    public int DistinctPosts => _distinct.Count;

    public void Add(long at, IReadOnlyList<long> ids)
    {
        if (ids.Count == 0)
            return;
        _deliveries.Enqueue((at, ids));
        foreach (var id in ids)
            _distinct.TryAdd(id, 0);
    }

    public ReceiverResult Summarise(IReadOnlyList<long> stored, IReadOnlyDictionary<long, long> committedAt)
    {
        var deliveries = _deliveries.ToList();
        var all = deliveries.SelectMany(d => d.Ids).ToList();
        var storedSet = stored.ToHashSet();
        var lost = storedSet.Count(id => !_distinct.ContainsKey(id));
        var twice = all.Count - all.Distinct().Count() + all.Count(id => !storedSet.Contains(id));
        var latencies = new List<double>(deliveries.Count);
        foreach (var (at, ids) in deliveries)
        {
            var oldest = long.MaxValue;
            foreach (var id in ids)
            {
                if (committedAt.TryGetValue(id, out var commit) && commit < oldest)
                    oldest = commit;
            }
            if (oldest != long.MaxValue)
                latencies.Add(Stopwatch.GetElapsedTime(oldest, at).TotalMilliseconds);
        }
        latencies.Sort();
        return new ReceiverResult(name, deliveries.Count, all.Count, lost, twice, latencies);
    }
}

/// <summary>A .NET SignalR client on an ingest node's hub with the cluster key, following every incident as a web node does.</summary>
internal sealed class Subscriber : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private volatile Watched? _watched;

    private Subscriber(HubConnection connection)
    {
        _connection = connection;
        _connection.On<FeedBatch>(nameof(IFeedClient.Batch), batch =>
        {
            var at = Stopwatch.GetTimestamp();
            if (_watched is { } watched && batch.IncidentId == watched.IncidentId)
                watched.Receipts.Add(at, batch.Posts.Select(p => p.Id).ToList());
        });
    }

    public static async Task<Subscriber> ConnectAsync(Uri node)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node, FeedHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(PushBench.ClusterKey))
            .Build();
        var subscriber = new Subscriber(connection);
        await connection.StartAsync();
        await connection.InvokeAsync(nameof(FeedHub.FollowAll));
        return subscriber;
    }

    public Receipts Watch(int incidentId)
    {
        var receipts = new Receipts("subscriber");
        _watched = new Watched(incidentId, receipts);
        return receipts;
    }

    public void Unwatch() => _watched = null;

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private sealed record Watched(int IncidentId, Receipts Receipts);
}

/// <summary>
/// <paramref name="count"/> posts as JSON Lines items at a steady <paramref name="rate"/>: each millisecond tick yields
/// the items due by then, so the pipeline sees the arrival pattern of a live stream, not a file read at full speed.
/// </summary>
internal sealed class PacedSource(int rate, int count, int incidentId) : IIngestSource
{
    private static readonly string[] Places = ["Bridge Street", "the ring road", "Riverside school", "the A38 junction", "Mill Lane", "the retail park", "St Anne's church", "the rail station"];
    private static readonly string[] Reports = ["Water over the road at {0}, cars turning back", "Power out around {0} since the storm", "Shelter open at {0}, blankets needed",
        "Is {0} closed? Nobody is answering", "Firefighters pumping out houses near {0}", "Heard the dam at {0} has burst, can anyone confirm", "Bus diverted away from {0}"];

    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = cursor is null ? 0 : int.Parse(cursor, CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var createdAt = DateTimeOffset.UtcNow;
        for (var n = start; n < count;)
        {
            var due = Math.Min(count, start + (int)(clock.Elapsed.TotalSeconds * rate));
            for (; n < due; n++)
                yield return Item(n, createdAt);
            if (n < count)
                await Task.Delay(1, cancellationToken);
        }
    }

    private RawItem Item(int n, DateTimeOffset start)
    {
        var text = string.Format(CultureInfo.InvariantCulture, Reports[n % Reports.Length], Places[n / Reports.Length % Places.Length]) + $" #{n}";
        var line = PostJsonLinesFormat.ToLine(new Post
        {
            Platform = "x",
            ExternalId = $"push-{incidentId}-{n}",
            CreatedAt = start.AddMilliseconds(n * 1000.0 / rate),
            Text = text,
        });
        return new RawItem(PostJsonLinesFormat.Name, Encoding.UTF8.GetBytes(line), (n + 1).ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// One CrisisDesk node (the real Program) on the bench database with the roles given; with <paramref name="listen"/> on
/// a loopback port of its own (Kestrel), so that subscribers and web nodes reach its hub over the network stack. The
/// same as the integration tests' NodeFactory, which cannot be linked here (it leans on their CrisisDeskFactory).
/// </summary>
internal sealed class BenchNode(string connectionString, string roles, IReadOnlyDictionary<string, string?>? settings = null, bool listen = false)
    : WebApplicationFactory<global::Program>
{
    public BenchNode Start()
    {
        if (listen)
        {
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            StartServer();
        }
        else
        {
            _ = Server;
        }
        return this;
    }

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSolutionRelativeContentRoot("src/CrisisDesk.Web");
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.UseSetting("ConnectionStrings:CrisisDesk", connectionString + ";Maximum Pool Size=40");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Error"); // not the data-protection and address notices
        builder.UseSetting("CrisisDesk:Admin:UserName", "admin");
        builder.UseSetting("CrisisDesk:Admin:Password", "bench-admin-password-long");
        builder.UseSetting("CrisisDesk:Drill:OpenOnFirstRun", "false");
        builder.UseSetting("CrisisDesk:Roles", roles);
        builder.UseSetting("CrisisDesk:Nodes:ClusterKey", PushBench.ClusterKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }
}
