// Clustering throughput on one core: replays the labelled real sample many times with variations
// (other links, casing, retweet prefixes, a changed word) at a steady simulated rate, and prints posts/s.
using System.Diagnostics;
using System.Text.Json;
using CrisisDesk.Core.Stories;

var rounds = args.Length > 0 && int.TryParse(args[0], out var r) ? r : 3_000;
var path = Path.Combine(AppContext.BaseDirectory, "stories-sample.jsonl");
var texts = File.ReadLines(path)
    .Where(l => l.Length > 0)
    .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString() ?? "")
    .ToArray();

// Build the stream first so that only clustering is timed.
var stream = new List<(string Id, string Text, DateTimeOffset Time)>(texts.Length * rounds);
var time = new DateTimeOffset(2014, 10, 22, 14, 0, 0, TimeSpan.Zero);
var rng = new Random(7);
for (var round = 0; round < rounds; round++)
{
    foreach (var text in texts)
    {
        var variant = (round % 4) switch
        {
            0 => text,
            1 => $"RT @user{rng.Next(10_000)}: {text}",
            2 => $"{text.ToUpperInvariant()} http://t.co/{rng.Next():x}",
            _ => $"{text} r{round}", // a new word each round: keeps creating new stories, as a live stream does
        };
        stream.Add(($"{round}-{stream.Count}", variant, time));
        time = time.AddMilliseconds(2); // 500 posts/s of simulated time
    }
}

Console.WriteLine($"{stream.Count:N0} posts ({texts.Length} real texts x {rounds} rounds), one thread");
for (var run = 1; run <= 3; run++)
{
    var clusterer = new StoryClusterer();
    var newStories = 0;
    var sw = Stopwatch.StartNew();
    foreach (var (id, text, at) in stream)
    {
        if (clusterer.Assign(id, text, at).IsNewStory)
        {
            newStories++;
        }
    }

    sw.Stop();
    Console.WriteLine(
        $"run {run}: {stream.Count / sw.Elapsed.TotalSeconds:N0} posts/s, {newStories:N0} stories, " +
        $"{clusterer.ActiveStoryCount:N0} active, {clusterer.IndexedPostCount:N0} indexed, {GC.GetTotalMemory(false) / 1_048_576:N0} MiB heap");
}
