// Sustained ingest rate: realistic posts from memory through the real pipeline into PostgreSQL, and in the same run
// psql \copy of the same rows into a table of the same shape (the raw limit).
// Usage: dotnet run -c Release --project bench/CrisisDesk.Bench -- [posts] [--format post.jsonl|x.v1.tweet]
//        [--raw binary|csv] [--batch N] [--channel N] [--no-classify]
// The database: CRISISDESK_TEST_DB when set, otherwise a private PostgreSQL started from the installed binaries.
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using CrisisDesk.Bench.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Pipeline;
using CrisisDesk.TestSupport;
using Npgsql;

var settings = BenchSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine("usage: CrisisDesk.Bench [posts] [--format post.jsonl|x.v1.tweet] [--raw binary|csv] [--batch N] [--channel N] [--no-classify]");
    return 2;
}
var options = new IngestPipelineOptions { MaxBatchSize = settings.BatchSize ?? new IngestPipelineOptions().MaxBatchSize, ChannelCapacity = settings.ChannelCapacity ?? new IngestPipelineOptions().ChannelCapacity };
// The classification stage runs as in production unless --no-classify leaves it out (to measure what it costs).
var classification = settings.Classify ? new CrisisDesk.Ingest.Classification.PostClassificationStage(CrisisDesk.Ingest.Classification.ClassificationModel.Bundled) : null;
var templates = TweetTemplate.Load(Path.Combine(AppContext.BaseDirectory, "data", "germanwings-crash.rumours.json"));

Console.WriteLine($"ingest bench: {settings.Posts:N0} posts as {settings.Format}, raw \\copy as {(settings.BinaryRaw ? "binary" : "csv")}; " +
    $"batch {options.MaxBatchSize:N0}, channel {options.ChannelCapacity:N0}, classification stage {(settings.Classify ? "on" : "off")}; .NET {Environment.Version}, {Environment.ProcessorCount} cpus, " +
    $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; load average {LoadAverage()}");

await using var database = await TestDatabase.CreateMigratedAsync();
var dataSource = database.DataSource;
Console.WriteLine($"database: {await ScalarAsync<string>("SELECT version()")}");
var serverCpu = await ServerCpu.FindAsync(dataSource);
var (warmIncident, warmSource) = await CreateSourceAsync("bench warm-up");
var (incident, source) = await CreateSourceAsync("bench");

// Build everything first, so that only ingest is timed.
var build = Stopwatch.StartNew();
var rawPath = Path.Combine(Path.GetTempPath(), $"crisisdesk-bench-{Environment.ProcessId}.{(settings.BinaryRaw ? "copy" : "csv")}");
using var rawFile = new RawCopyFile(rawPath, settings.BinaryRaw, incident, source, DateTimeOffset.UtcNow);
var warmUpPosts = Math.Clamp(settings.Posts / 10, 10_000, 100_000);
var warmUp = IngestCorpus.Build(templates, settings.Format, warmUpPosts, 690_000_000_000_000_000, options.RecentKeyCapacity, onUniquePost: null);
var corpus = IngestCorpus.Build(templates, settings.Format, settings.Posts, 700_000_000_000_000_000, options.RecentKeyCapacity, rawFile.Write);
rawFile.Complete();
Console.WriteLine($"built {corpus.Items.Count:N0} items ({corpus.Redeliveries:N0} re-deliveries, {corpus.FarRedeliveries:N0} of them older than the " +
    $"in-memory dedupe remembers), {corpus.PayloadBytes / (double)corpus.Items.Count:N0} B/item, and {new FileInfo(rawPath).Length / 1048576.0:N0} MiB " +
    $"for \\copy, in {build.Elapsed.TotalSeconds:N1} s");

try
{
    // Warm-up (JIT tiers, pooled connections with their staging table), then both timed runs start from empty tables.
    var warm = await PipelineRun.RunAsync(dataSource, warmUp, warmIncident, warmSource, options, serverCpu, classification);
    Console.WriteLine($"warm-up: {warm.Stored:N0} posts in {warm.Elapsed.TotalSeconds:N2} s (not counted)");
    await ExecuteAsync("TRUNCATE posts CASCADE; CREATE TABLE posts_raw (LIKE posts INCLUDING ALL); VACUUM ANALYZE posts; CHECKPOINT");
    var normaliseAlone = NormaliseAlone(corpus, Math.Min(corpus.Items.Count, 200_000));
    Console.WriteLine($"normalise alone, one thread: {normaliseAlone:N0} items/s ({1e6 / normaliseAlone:N1} µs/item)");

    GC.Collect();
    GC.WaitForPendingFinalizers();
    var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var pipeline = await PipelineRun.RunAsync(dataSource, corpus, incident, source, options, serverCpu, classification);
    await CheckPipelineAsync(pipeline);

    // Search documents are written off the write path, by the search indexer; measured here on its own, over the same
    // posts, so that the cost moved is reported with the rate it bought.
    var indexer = new CrisisDesk.Data.Posts.SearchIndexer(dataSource);
    var indexServerCpuBefore = serverCpu?.Used();
    var indexing = Stopwatch.StartNew();
    long indexed = 0;
    for (int round; (round = await indexer.IndexPendingAsync()) > 0;)
        indexed += round;
    indexing.Stop();
    var indexServerCpu = serverCpu?.Used() - indexServerCpuBefore;
    if (indexed < pipeline.Stored)
        throw new InvalidOperationException($"the search indexer indexed {indexed:N0} of {pipeline.Stored:N0} posts");

    await ExecuteAsync("CHECKPOINT");
    var rawServerCpuBefore = serverCpu?.Used();
    var raw = await PsqlCopy.RunAsync(database.ConnectionString, "posts_raw", rawFile);
    await Task.Delay(500); // the server reaps psql's backend, whose CPU time then shows in the postmaster's
    var rawServerCpu = serverCpu?.Used() - rawServerCpuBefore;
    await CheckSameRowsAsync();

    var pipelineRate = pipeline.Stored / pipeline.Elapsed.TotalSeconds;
    var rawRate = rawFile.Rows / raw.TotalSeconds;
    Console.WriteLine();
    Console.WriteLine($"{"",-34} {"posts",12} {"seconds",9} {"posts/s",10} {"client CPU s",13} {"server CPU s",13}");
    Console.WriteLine($"{(settings.Classify ? "pipeline (…→classify→…→commit)" : "pipeline (normalise→dedupe→commit)"),-34} {pipeline.Stored,12:N0} {pipeline.Elapsed.TotalSeconds,9:N2} {pipelineRate,10:N0} {pipeline.ClientCpu.TotalSeconds,13:N2} {Seconds(pipeline.ServerCpu),13}");
    Console.WriteLine($"{"  items in, re-deliveries included",-34} {corpus.Items.Count,12:N0} {pipeline.Elapsed.TotalSeconds,9:N2} {corpus.Items.Count / pipeline.Elapsed.TotalSeconds,10:N0}");
    Console.WriteLine($"{"search indexing, after the pipeline",-34} {indexed,12:N0} {indexing.Elapsed.TotalSeconds,9:N2} {indexed / indexing.Elapsed.TotalSeconds,10:N0} {"",13} {Seconds(indexServerCpu),13}");
    Console.WriteLine($"{"raw psql \\copy, same rows",-34} {rawFile.Rows,12:N0} {raw.TotalSeconds,9:N2} {rawRate,10:N0} {"(psql)",13} {Seconds(rawServerCpu),13}");
    Console.WriteLine($"{"ratio pipeline / raw",-34} {pipelineRate / rawRate,12:P0}");
    if (pipeline.ServerCpu is { } serverUsed && rawServerCpu is { } rawUsed)
    {
        // CPU per post does not depend on what else runs on the machine; wall-clock rates do.
        var clientPerPost = pipeline.ClientCpu.TotalMicroseconds / pipeline.Stored;
        var serverPerPost = serverUsed.TotalMicroseconds / pipeline.Stored;
        var rawPerPost = rawUsed.TotalMicroseconds / rawFile.Rows;
        // One backend writes (one core at most); client and server share the machine's cores.
        var pipelineBound = 1e6 / Math.Max(serverPerPost, (clientPerPost + serverPerPost) / Environment.ProcessorCount);
        Console.WriteLine($"CPU per post: pipeline {clientPerPost:N1} µs client + {serverPerPost:N1} µs server; raw \\copy {rawPerPost:N1} µs server " +
            $"-> CPU-bound ceilings with the cores to itself: pipeline {pipelineBound:N0} posts/s, raw {1e6 / rawPerPost:N0} posts/s ({pipelineBound * rawPerPost / 1e6:P0})");
    }
    Console.WriteLine();
    Console.WriteLine($"managed heap: {Mib(heapBefore)} before the run (the corpus in memory), peak {Mib(pipeline.PeakManagedBytes)} during it " +
        $"(+{Mib(pipeline.PeakManagedBytes - heapBefore)} for the pipeline); allocated {pipeline.AllocatedBytes / (double)corpus.Items.Count:N0} B/item; " +
        $"process peak working set {Mib(Process.GetCurrentProcess().PeakWorkingSet64)}");
    Console.WriteLine($"load average after: {LoadAverage()}");
    // The writer's aims (issue 13) were set for the pipeline without the classification stage, which costs more client
    // CPU per post than the rest of the pipeline together (issue 17 has its own aim for it).
    if (settings.Classify)
        Console.WriteLine("aims: the writer's (>= 50,000 posts/s, >= 50% of raw \\copy) are judged with --no-classify");
    else
        Console.WriteLine($"aims: >= 50,000 posts/s {(pipelineRate >= 50_000 ? "met" : "MISSED")}; >= 50% of raw \\copy {(pipelineRate >= rawRate / 2 ? "met" : "MISSED")}");
}
finally
{
    File.Delete(rawPath);
}
return 0;

async Task CheckPipelineAsync(PipelineFigures figures)
{
    var stored = await ScalarAsync<long>($"SELECT count(*) FROM posts WHERE incident_id = {incident}");
    var cursor = await ScalarAsync<string>($"SELECT cursor FROM sources WHERE id = {source}");
    if (stored != corpus.UniquePosts || figures.Stored != corpus.UniquePosts || cursor != corpus.Items.Count.ToString(CultureInfo.InvariantCulture))
        throw new InvalidOperationException($"the pipeline stored {stored:N0} posts (reported {figures.Stored:N0}) with cursor {cursor}; expected {corpus.UniquePosts:N0} and {corpus.Items.Count}");
    var classified = await ScalarAsync<long>($"SELECT count(*) FROM posts WHERE incident_id = {incident} AND information_type IS NOT NULL AND informativeness IS NOT NULL AND sentiment IS NOT NULL");
    if (classified != (settings.Classify ? stored : 0))
        throw new InvalidOperationException($"{classified:N0} of {stored:N0} posts were stored classified, with the stage {(settings.Classify ? "on" : "off")}");
    if (figures.Delivered != figures.Stored)
        throw new InvalidOperationException($"the live feed delivered {figures.Delivered:N0} of {figures.Stored:N0} posts");
}

// Same rows: an order-independent digest of every column but the generated id and the receive time.
async Task CheckSameRowsAsync()
{
    const string digest = "SELECT count(*)::text || ':' || sum(hashtextextended(concat_ws('|', incident_id, source_id, platform, external_id, created_at, " +
        "author_handle, author_name, text, url, lang, has_media, extra::text), 0)::numeric)::text FROM ";
    var pipelineRows = await ScalarAsync<string>(digest + "posts");
    var rawRows = await ScalarAsync<string>(digest + "posts_raw");
    if (pipelineRows != rawRows)
        throw new InvalidOperationException($"the pipeline's rows ({pipelineRows}) differ from the raw copy's ({rawRows})");
}

async Task<(int Incident, int Source)> CreateSourceAsync(string name)
{
    await using var command = dataSource.CreateCommand("""
        WITH incident AS (INSERT INTO incidents (name, is_drill) VALUES ($1, true) RETURNING id)
        INSERT INTO sources (incident_id, kind, name) SELECT id, 'bench', $1 FROM incident RETURNING incident_id, id
        """);
    command.Parameters.Add(new NpgsqlParameter { Value = name });
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt32(0), reader.GetInt32(1));
}

async Task ExecuteAsync(string sql)
{
    await using var connection = await dataSource.OpenConnectionAsync();
    foreach (var statement in sql.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
    {
        await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}

async Task<T> ScalarAsync<T>(string sql)
{
    await using var command = dataSource.CreateCommand(sql);
    command.CommandTimeout = 0;
    return (T)(await command.ExecuteScalarAsync())!;
}

// The normalise stage by itself on this thread: how much of a core the pipeline's parsing needs.
static double NormaliseAlone(IngestCorpus corpus, int count)
{
    var normaliser = PostFormats.Default[corpus.Format];
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        if (normaliser.Normalise(corpus.Items[i].Span).Post is null)
            throw new InvalidOperationException("a corpus item did not normalise");
    }
    return count / watch.Elapsed.TotalSeconds;
}

static string Seconds(TimeSpan? cpu) => cpu is { } value ? value.TotalSeconds.ToString("N2", CultureInfo.InvariantCulture) : "n/a";

// Other work on the machine slows both runs: the load average says how much there was.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string Mib(long bytes) => $"{bytes / 1048576.0:N0} MiB";

internal sealed record BenchSettings(int Posts, string Format, bool BinaryRaw, int? BatchSize, int? ChannelCapacity, bool Classify = true)
{
    public static BenchSettings? Parse(string[] args)
    {
        var settings = new BenchSettings(1_000_000, PostJsonLinesFormat.Name, true, null, null);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : "";
            switch (args[i])
            {
                case "--format":
                    settings = settings with { Format = Next() };
                    if (settings.Format is not (PostJsonLinesFormat.Name or XV1TweetFormat.Name))
                        return null;
                    break;
                case "--raw":
                    var raw = Next();
                    if (raw is not ("binary" or "csv"))
                        return null;
                    settings = settings with { BinaryRaw = raw == "binary" };
                    break;
                case "--batch" when int.TryParse(Next(), out var batch) && batch > 0:
                    settings = settings with { BatchSize = batch };
                    break;
                case "--no-classify":
                    settings = settings with { Classify = false };
                    break;
                case "--channel" when int.TryParse(Next(), out var channel) && channel > 0:
                    settings = settings with { ChannelCapacity = channel };
                    break;
                default:
                    if (!int.TryParse(args[i], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var posts) || posts < 1_000)
                        return null;
                    settings = settings with { Posts = posts };
                    break;
            }
        }
        return settings;
    }
}
