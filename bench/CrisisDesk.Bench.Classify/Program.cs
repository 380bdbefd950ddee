using System.Diagnostics;
using System.Globalization;
using System.Text;
using CrisisDesk.Bench.Shared;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Ingest.Classification;

// Posts classified per second on one core: the pipeline's classification stage alone (what PostClassificationStage does
// per post: features, the two models, VADER). Run: dotnet run -c Release --project bench/CrisisDesk.Bench.Classify [seconds-per-case]
var seconds = args.Length > 0 && double.TryParse(args[0], CultureInfo.InvariantCulture, out var s) ? s : 5;
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
    Process.GetCurrentProcess().ProcessorAffinity = 1; // one core

var load = Stopwatch.StartNew();
var model = ClassificationModel.Bundled;
load.Stop();
var texts = new List<string>();
foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data"), "*.csv").Order(StringComparer.Ordinal))
{
    var bytes = File.ReadAllBytes(file);
    foreach (var (start, length) in Csv.SplitRecords(bytes).Skip(1))
    {
        if (Csv.ParseRecord(Encoding.UTF8.GetString(bytes, start, length), out _) is { Count: 5 } fields)
            texts.Add(fields[1]);
    }
}
var posts = texts.Select((t, i) => new Post { Platform = "x", ExternalId = i.ToString(CultureInfo.InvariantCulture), CreatedAt = DateTimeOffset.UnixEpoch, Text = t }).ToList();
Console.WriteLine(MachineLoad.Uptime());
Console.WriteLine($"classification bench: {texts.Count:N0} CrisisLexT26 tweets (mean {texts.Average(t => t.Length):0} chars), {Environment.ProcessorCount} cpus visible, pinned to one; "
    + $"{seconds} s per case; .NET {Environment.Version}; model {model.Manifest.Trainer}, loaded in {load.ElapsedMilliseconds} ms");

var stage = new PostClassificationStage(model);
var classifier = stage.Rent();
var featurizer = new TextFeaturizer(model.Manifest.Featurizer);
var vector = new FeatureVector();
var probabilities = new float[6];
var vader = VaderSentiment.Default;
var sink = 0.0;

Run("stage: informativeness + type + sentiment", i => sink += PostClassificationStage.Classify(classifier, posts[i])!.Value.Sentiment);
Run("  features alone", i =>
{
    featurizer.Extract(texts[i], vector);
    sink += vector.Count;
});
Run("  features + two models", i =>
{
    featurizer.Extract(texts[i], vector);
    sink += model.Informativeness.Predict(vector, probabilities) + model.InformationType.Predict(vector, probabilities);
});
Run("  sentiment alone (VADER)", i => sink += vader.Score(texts[i]));
Console.WriteLine($"(checksum {sink:0}; {MachineLoad.Uptime()})");

void Run(string name, Action<int> once)
{
    for (var i = 0; i < 5_000; i++)
        once(i % texts.Count); // warm up: JIT tiers
    GC.Collect();
    var allocated = GC.GetAllocatedBytesForCurrentThread();
    var n = 0L;
    // CPU time beside wall time: on a shared machine the pinned core is not all ours, and posts per CPU second is
    // what the code costs whatever else runs.
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        for (var k = 0; k < 1000; k++)
            once((int)(n++ % texts.Count));
    }
    watch.Stop();
    var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    var perPost = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)n;
    Console.WriteLine($"{name,-38} {n / watch.Elapsed.TotalSeconds,9:N0} posts/s {watch.Elapsed.TotalMicroseconds / n,7:0.00} µs/post   "
        + $"{n / cpuSeconds,9:N0} posts/CPU-s {cpuSeconds * 1e6 / n,7:0.00} CPU-µs/post  {perPost,6:N0} B allocated/post");
}
