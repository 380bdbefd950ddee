// The war room's update cost: the real CrisisDesk executable ingests an incident at a steady rate (a replay source
// added over the HTTP API) while 0, then 1, 10 and 20 war-room circuits (Debian Chromium, Playwright) watch it; for
// each phase, the server process's CPU and resident memory, PostgreSQL's and the browser's CPU, and the marginal cost
// per circuit. The bench fails rather than print a figure when the rate was not reached or a circuit was not live.
// Usage: dotnet run -c Release --project bench/CrisisDesk.Bench.WarRoom -- [--circuits 1,10,20] [--rate 500]
//        [--seconds 30] [--warmup 10] [--tick-ms 100]
// The database: CRISISDESK_TEST_DB when set, otherwise a private PostgreSQL started from the installed binaries.
using CrisisDesk.Bench.Shared;
using System.Diagnostics;
using System.Globalization;
using CrisisDesk.Bench.WarRoom;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;
using Npgsql;

var settings = WarRoomSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine("usage: CrisisDesk.Bench.WarRoom [--circuits 1,10,20] [--rate 500] [--seconds 30] [--warmup 10] [--tick-ms 100]");
    return 2;
}
const string ChromiumPath = "/usr/bin/chromium";
const string AdminPassword = "war-room-bench-admin-password";
if (!File.Exists(ChromiumPath))
{
    Console.Error.WriteLine($"Chromium is not installed at {ChromiumPath} (apt-get install chromium).");
    return 2;
}

Console.WriteLine($"war-room bench: {settings.Rate:N0} posts/s, circuits {string.Join(", ", settings.Circuits)}, {settings.Seconds} s per phase after " +
    $"{settings.WarmUp} s warm-up; .NET {Environment.Version}, {Environment.ProcessorCount} cpus; load average {LoadAverage()}");

await using var database = await TestDatabase.CreateEmptyAsync();
int? postmaster;
await using (var command = database.DataSource.CreateCommand("SELECT pg_backend_pid()"))
    postmaster = ProcStat.PostmasterOf((int)(await command.ExecuteScalarAsync())!);

// Enough posts for every phase with room to open the pages (up to half a minute a page on a loaded two-core box, where
// 20 Chromium pages share the cores with the server); the run fails if the replay ends before the last window.
var phases = new List<int> { 0 };
phases.AddRange(settings.Circuits);
var opens = settings.Circuits.Max();
var planned = TimeSpan.FromSeconds(60 + (phases.Count + 1) * (settings.WarmUp + settings.Seconds + 10) + opens * 30 + 120);
var postPath = Path.Combine(Path.GetTempPath(), $"crisisdesk-warroom-bench-{Environment.ProcessId}.jsonl");
var chromiumWrapper = Path.Combine(Path.GetTempPath(), $"crisisdesk-warroom-bench-{Environment.ProcessId}-chromium.sh");
var build = Stopwatch.StartNew();
var tick = TimeSpan.FromMilliseconds(Math.Max(settings.TickMs, 1000.0 / settings.Rate));
var posts = PostFile.Write(postPath, Path.Combine(AppContext.BaseDirectory, "data", "germanwings-crash.rumours.json"), settings.Rate, tick, planned,
    DateTimeOffset.UtcNow.AddMinutes(-1));
WarRoomPage.ReplayPosts = posts;
Console.WriteLine($"replay file: {posts:N0} posts ({planned.TotalMinutes:N1} min at {settings.Rate:N0}/s, {settings.Rate * tick.TotalSeconds:0.#} post(s) every " +
    $"{tick.TotalMilliseconds:0.#} ms), {new FileInfo(postPath).Length / 1048576.0:N0} MiB, written in {build.Elapsed.TotalSeconds:N1} s");

var rows = new List<PhaseResult>();
try
{
    await using var app = await AppProcess.StartAsync(new Dictionary<string, string>
    {
        ["ConnectionStrings:CrisisDesk"] = database.ConnectionString,
        ["CrisisDesk:Admin:Password"] = AdminPassword,
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        // Replays read only from the import directory: the one the bench writes its file to.
        ["CrisisDesk:Replay:ImportDirectory"] = Path.GetDirectoryName(postPath)!,
        // Every page signs in from 127.0.0.1.
        ["CrisisDesk:Login:AttemptsPerMinute"] = "1000",
    }, logName: "warroom-bench", timeout: TimeSpan.FromSeconds(120));
    Console.WriteLine($"CrisisDesk {Repository.WebExecutable} pid {app.ProcessId} at {app.BaseAddress}, log {app.LogPath}");
    // Ctrl+C ends the bench at once: take CrisisDesk down with it (the private PostgreSQL stops as the bench exits).
    Console.CancelKeyPress += (_, _) => app.Kill();

    int incidentId, sourceId;
    using (var api = await CrisisDeskApi.SignInAsync(app.BaseAddress, "admin", AdminPassword))
    {
        incidentId = await api.OpenIncidentAsync("Bench: Germanwings 9525 at a steady rate", ["germanwings", "4U9525"]);
        sourceId = await api.AddReplaySourceAsync(incidentId, "bench replay", postPath, speed: 1, maxGapSeconds: 1);
        await api.StartSourceAsync(incidentId, sourceId);
    }
    var stored = new StoredPosts(database.DataSource, sourceId);
    await Eventually(async () => await stored.ReadAsync() > 0, "the replay to store its first posts", TimeSpan.FromSeconds(120));
    Console.WriteLine($"incident {incidentId}, replay source {sourceId} started; ingest warm-up {settings.WarmUp + 10} s");
    await Task.Delay(TimeSpan.FromSeconds(settings.WarmUp + 10));
    // A fresh database has no statistics until autovacuum first analyzes posts (here a minute or more in); until then
    // the feed query sorts the whole incident instead of walking the primary key back (30 ms instead of 0.3 ms at 35,000
    // posts). Every phase is measured with statistics, as a database that has run for a while has them.
    await using (var analyze = database.DataSource.CreateCommand("ANALYZE posts, stories"))
        await analyze.ExecuteNonQueryAsync();

    // Chromium runs at the lowest priority (nice 19, inherited by all its processes): the server and PostgreSQL, whose
    // cost is measured, get the cores first; the pages take what is left (the updates/s column shows they kept up).
    File.WriteAllText(chromiumWrapper, $"#!/bin/sh\nexec nice -n 19 {ChromiumPath} \"$@\"\n");
    if (!OperatingSystem.IsWindows())
        File.SetUnixFileMode(chromiumWrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = chromiumWrapper,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    var signIn = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString() });
    var signInPage = await signIn.NewPageAsync();
    await signInPage.GotoAsync("/login");
    await signInPage.FillAsync("#userName", "admin");
    await signInPage.FillAsync("#password", AdminPassword);
    await signInPage.ClickAsync("button[type=submit]");
    await signInPage.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
    var cookies = await signIn.StorageStateAsync();
    await signIn.CloseAsync();

    var meter = new Meter(app.ProcessId, postmaster, app);
    var pages = new List<WarRoomPage>();
    foreach (var circuits in phases)
    {
        if (circuits > pages.Count)
        {
            var opening = Stopwatch.StartNew();
            var added = await WarRoomPage.OpenAsync(browser, cookies, app.BaseAddress, incidentId, circuits - pages.Count);
            pages.AddRange(added);
            Console.WriteLine($"{pages.Count} circuit(s) connected and live ({added.Count} opened in {opening.Elapsed.TotalSeconds:N1} s)");
        }
        rows.Add(await MeasureAsync($"{circuits} circuit{(circuits == 1 ? "" : "s")}"));
    }

    // The same load with every page closed: the circuits must let go (Blazor's disconnect on unload), and the server
    // return to about its baseline.
    foreach (var page in pages)
        await page.CloseAsync();
    var closed = pages.Count;
    pages.Clear();
    rows.Add(await MeasureAsync($"0 after closing {closed}"));

    Print(rows);
    Console.WriteLine($"load average after: {LoadAverage()}");
    return 0;

    async Task<PhaseResult> MeasureAsync(string name)
    {
        await Task.Delay(TimeSpan.FromSeconds(settings.WarmUp));
        var totals = await Task.WhenAll(pages.Select(p => p.FeedTotalAsync()));
        var result = await meter.MeasureAsync(name, pages, TimeSpan.FromSeconds(settings.Seconds), stored);
        foreach (var (page, before) in pages.Zip(totals))
            await page.CheckLiveAsync(before);
        Console.WriteLine($"  {name}: {result.PostsPerSecond:N0} posts/s, {result.UpdatesPerSecond:N1} updates/s per page, server {result.ServerCpuPercent:N1} % CPU, {Mib(result.ServerRss)} RSS; " +
            $"PostgreSQL {Percent(result.PostgresCpuPercent)}, browser {result.BrowserCpuPercent:N1} % CPU; load average {result.LoadAverage}" +
            (result.CommitToRendered is { } l ? $"; commit → rendered p50 {l.P50:N0} ms, p99 {l.P99:N0} ms, max {l.Max:N0} ms over {l.Samples:N0} updates" : ""));
        if (Math.Abs(result.PostsPerSecond - settings.Rate) > settings.Rate * 0.03)
            throw new BenchFailure($"{name}: the replay delivered {result.PostsPerSecond:N0} posts/s, not the {settings.Rate:N0} asked (3 % tolerance); " +
                $"the figures of this phase would not be at that rate (load average {LoadAverage()})");
        return result;
    }
}
catch (BenchFailure e)
{
    Console.Error.WriteLine($"FAILED: {e.Message}");
    return 1;
}
finally
{
    File.Delete(postPath);
    File.Delete(chromiumWrapper);
}

void Print(List<PhaseResult> results)
{
    var baseline = results[0];
    Console.WriteLine();
    Console.WriteLine($"{"",-20} {"",8} {"updates/s",10} {"server",8} {"server",10} {"PostgreSQL",11} {"browser",8} | {"per circuit, over 0 circuits",-45} |");
    Console.WriteLine($"{"phase",-20} {"posts/s",8} {"per page",10} {"CPU",8} {"RSS",10} {"CPU",11} {"CPU",8} | {"server CPU",10} {"server RSS",11} {"PostgreSQL",11} {"CPU/update",10} | load average");
    foreach (var row in results)
    {
        var perCircuit = row.Circuits > 0
            ? $"{Signed((row.ServerCpuPercent - baseline.ServerCpuPercent) / row.Circuits),8} % {Mib((row.ServerRss - baseline.ServerRss) / row.Circuits),11} " +
              $"{(row.PostgresCpuPercent - baseline.PostgresCpuPercent is { } pg ? Signed(pg / row.Circuits) + " %" : "n/a"),11} " +
              $"{(row.ServerCpuPercent - baseline.ServerCpuPercent) * 10 / (row.Circuits * row.UpdatesPerSecond!.Value),7:N1} ms"
            : $"{"",10} {"",11} {"",11} {"",10}";
        Console.WriteLine($"{row.Name,-20} {row.PostsPerSecond,8:N0} {(row.UpdatesPerSecond is { } u ? u.ToString("N1", CultureInfo.InvariantCulture) : ""),10} " +
            $"{row.ServerCpuPercent,6:N1} % {Mib(row.ServerRss),10} {Percent(row.PostgresCpuPercent),11} {row.BrowserCpuPercent,6:N1} % | {perCircuit} | {row.LoadAverage}");
    }
    Console.WriteLine();
    Console.WriteLine("CPU: % of one core over the window. RSS: the server's mean VmRSS over the window (min-max below). Per circuit: (phase - 0 circuits) / circuits;");
    Console.WriteLine("CPU/update: the server's added CPU time per war-room update a page received.");
    foreach (var row in results)
        Console.WriteLine($"  {row.Name}: RSS {Mib(row.ServerRssMin)}-{Mib(row.ServerRssMax)}");
    Console.WriteLine();
    Console.WriteLine($"Commit → rendered: from the replay's commit (its counter polled every {Meter.CommitPoll.TotalMilliseconds:N0} ms, so up to that much understated) " +
        "to the page's DOM holding the new feed total (a MutationObserver), over every update of every page:");
    foreach (var row in results.Where(r => r.CommitToRendered is not null))
        Console.WriteLine($"  {row.Name}: p50 {row.CommitToRendered!.P50:N0} ms, p99 {row.CommitToRendered.P99:N0} ms, max {row.CommitToRendered.Max:N0} ms ({row.CommitToRendered.Samples:N0} updates)");
    var withCircuits = results.Where(r => r.Circuits > 0).ToList();
    for (var i = 1; i < withCircuits.Count; i++)
    {
        var (a, b) = (withCircuits[i - 1], withCircuits[i]);
        var added = b.Circuits - a.Circuits;
        Console.WriteLine($"step {a.Circuits} -> {b.Circuits} circuits, per added circuit: server CPU {Signed((b.ServerCpuPercent - a.ServerCpuPercent) / added)} %, " +
            $"RSS {Mib((b.ServerRss - a.ServerRss) / added)}, PostgreSQL CPU {(b.PostgresCpuPercent - a.PostgresCpuPercent is { } pg ? Signed(pg / added) + " %" : "n/a")}");
    }
}

static string Signed(double value) => Math.Round(value, 2) == 0 ? "0.00" : value.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);

static string Mib(double bytes) => $"{bytes / 1048576.0:N1} MiB";

static string Percent(double? value) => value is { } v ? $"{v:N1} %" : "n/a";

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
            throw new BenchFailure($"timed out waiting for {what}");
        await Task.Delay(200);
    }
}

/// <summary>The bench cannot give a true figure; the message says why.</summary>
internal sealed class BenchFailure(string message) : Exception(message);

internal sealed record WarRoomSettings(IReadOnlyList<int> Circuits, int Rate, int Seconds, int WarmUp, int TickMs)
{
    public static WarRoomSettings? Parse(string[] args)
    {
        var settings = new WarRoomSettings([1, 10, 20], 500, 30, 10, 100);
        for (var i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
                return null;
            var value = args[++i];
            switch (args[i - 1])
            {
                case "--circuits":
                    var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToList();
                    if (list.Count == 0 || list.Any(n => n < 1) || !list.SequenceEqual(list.Order().Distinct()))
                        return null;
                    settings = settings with { Circuits = list };
                    break;
                case "--rate" when Positive(value) is { } rate:
                    settings = settings with { Rate = rate };
                    break;
                case "--seconds" when Positive(value) is { } seconds:
                    settings = settings with { Seconds = seconds };
                    break;
                case "--warmup" when Positive(value) is { } warmUp:
                    settings = settings with { WarmUp = warmUp };
                    break;
                case "--tick-ms" when Positive(value) is { } tick:
                    settings = settings with { TickMs = tick };
                    break;
                default:
                    return null;
            }
        }
        return settings;
    }

    private static int? Positive(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}

/// <summary>Where the CrisisDesk executable is: built in the bench's own configuration (the project reference builds it first).</summary>

/// <summary>The replay source's stored-post counter, as its batches commit it.</summary>
internal sealed class StoredPosts(NpgsqlDataSource dataSource, int sourceId)
{
    public async Task<long> ReadAsync()
    {
        await using var command = dataSource.CreateCommand("SELECT posts_stored FROM sources WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sourceId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
