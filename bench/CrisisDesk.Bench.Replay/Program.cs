// Replay seek latency: a fresh database (TestDatabase, all migrations), one incident of N posts (default 1,000,000)
// arriving over 24 hours in batches as ingest writes them, plus a few hundred operator events; then random seeks,
// each what the replay page does for a new T: count posts received by T, read the newest 50, fold the events.
// Usage: dotnet run -c Release --project bench/CrisisDesk.Bench.Replay -- [posts] [seeks]
using System.Diagnostics;
using CrisisDesk.Core.Review;
using CrisisDesk.Data.Domain;
using EventLog = CrisisDesk.Data.Events.EventLog;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Review;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

var postCount = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 1_000_000;
var seekCount = args.Length > 1 && int.TryParse(args[1], out var s) ? s : 500;

await using var database = await TestDatabase.CreateMigratedAsync();
// Loading a million rows and VACUUM can outlast Npgsql's 30 s default on a busy machine: no command timeout here.
await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 0 }.ConnectionString);
var start = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
var span = TimeSpan.FromHours(24);

int incidentId;
var load = Stopwatch.StartNew();
await using (var connection = await dataSource.OpenConnectionAsync())
{
    await using (var command = new NpgsqlCommand("INSERT INTO incidents (name, keywords, opened_at) VALUES ('Bench storm', '{storm}', $1) RETURNING id", connection)
    { Parameters = { new() { Value = start } } })
        incidentId = (int)(await command.ExecuteScalarAsync())!;
    int sourceId;
    await using (var command = new NpgsqlCommand("INSERT INTO sources (incident_id, kind, name) VALUES ($1, 'replay', 'bench') RETURNING id", connection)
    { Parameters = { new() { Value = incidentId } } })
        sourceId = (int)(await command.ExecuteScalarAsync())!;

    // Binary COPY, as PostWriter stages its batches; posts arrive in batches of 100 sharing a received_at.
    var rng = new Random(42);
    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, author_name, text, lang, has_media) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < postCount; i++)
        {
            var received = start + span * ((double)(i / 100 * 100) / postCount);
            await copy.StartRowAsync();
            await copy.WriteAsync(incidentId, NpgsqlDbType.Integer);
            await copy.WriteAsync(sourceId, NpgsqlDbType.Integer);
            await copy.WriteAsync("x", NpgsqlDbType.Text);
            await copy.WriteAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture), NpgsqlDbType.Text);
            await copy.WriteAsync(received.AddSeconds(-rng.Next(0, 120)), NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(received, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync($"user{rng.Next(50_000)}", NpgsqlDbType.Text);
            await copy.WriteAsync($"User {rng.Next(50_000)}", NpgsqlDbType.Text);
            await copy.WriteAsync($"Post {i}: the river is rising near the bridge, roads closed #storm {rng.Next()}", NpgsqlDbType.Text);
            await copy.WriteAsync("en", NpgsqlDbType.Text);
            await copy.WriteAsync(false, NpgsqlDbType.Boolean);
        }
        await copy.CompleteAsync();
    }
    await using (var vacuum = new NpgsqlCommand("VACUUM ANALYZE posts", connection))
        await vacuum.ExecuteNonQueryAsync();
}
for (var i = 0; i < 300; i++)
    await EventLog.AppendOutsideContractAsync(dataSource, $"operator{i % 5}", i % 3 == 0 ? "rumour.created" : "rumour.status-changed", incidentId,
        new { rumourId = i / 3, claim = $"claim {i / 3}", from = "open", to = "monitoring", postIds = new[] { i + 1 } });
Console.WriteLine($"Loaded {postCount:N0} posts and 300 events in {load.Elapsed.TotalSeconds:0.0} s.");

var queries = new ReplayQueries(dataSource, CrisisDeskDbContext.FactoryOver(dataSource));
var opened = Stopwatch.StartNew();
var timeline = (await queries.TimelineAsync(incidentId))!;
Console.WriteLine($"Opening the replay (timeline: span, per-minute counts, events): {opened.Elapsed.TotalMilliseconds:0} ms, {timeline.Volume.Total:N0} posts in {timeline.Volume.Minutes.Count} minutes.");

var seekRng = new Random(7);
var timings = new List<double>(seekCount);
long checksum = 0;
for (var i = 0; i < seekCount + 20; i++)
{
    var asOf = timeline.Start + (timeline.End - timeline.Start) * seekRng.NextDouble();
    var watch = Stopwatch.StartNew();
    var count = await queries.CountAsOfAsync(incidentId, timeline.Volume, asOf);
    var page = await queries.PostsAsOfAsync(incidentId, asOf, 0, 50);
    var state = IncidentStateFolder.Fold(timeline.Events, asOf);
    watch.Stop();
    checksum += count + page.Count + state.Rumours.Count;
    if (i >= 20) // the first seeks warm the caches and JIT
        timings.Add(watch.Elapsed.TotalMilliseconds);
}
timings.Sort();
double Percentile(double q) => timings[(int)Math.Min(timings.Count - 1, Math.Ceiling(q * timings.Count) - 1)];
Console.WriteLine($"{seekCount} random seeks over {postCount:N0} posts: p50 {Percentile(0.50):0.00} ms, p95 {Percentile(0.95):0.00} ms, max {timings[^1]:0.00} ms (checksum {checksum}).");

// A deep scroll: the page a reader reaches 10,000 posts down from T.
var deep = Stopwatch.StartNew();
await queries.PostsAsOfAsync(incidentId, timeline.End, 10_000, 50);
Console.WriteLine($"Scrolled 10,000 posts deep: {deep.Elapsed.TotalMilliseconds:0.0} ms.");
