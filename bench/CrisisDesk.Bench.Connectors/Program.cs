using System.Diagnostics;
using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

// Frames parsed and normalised per second on one core, for each streaming format.
// Usage: dotnet run -c Release --project bench/CrisisDesk.Bench.Connectors [-- seconds-per-format]
// Pin to one core with: taskset -c 0 dotnet bench/CrisisDesk.Bench.Connectors/bin/Release/net9.0/linux-x64/CrisisDesk.Bench.Connectors.dll
var seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 3;

var x = Frames(i => $$$"""{"data":{"id":"18{{{i:D17}}}","text":"Flooding on the A38 near junction {{{i % 40}}}, avoid the area #flood","author_id":"u{{{i % 500}}}","created_at":"2026-11-21T10:00:00.000Z","lang":"en","edit_history_tweet_ids":["18{{{i:D17}}}"],"attachments":{"media_keys":["3_{{{i}}}"]},"geo":{"place_id":"p1"}},"includes":{"users":[{"id":"u{{{i % 500}}}","name":"Resident {{{i % 500}}}","username":"resident{{{i % 500}}}"}],"media":[{"media_key":"3_{{{i}}}","type":"photo"}],"places":[{"id":"p1","full_name":"Bristol, England","country_code":"GB"}]},"matching_rules":[{"id":"r1","tag":"flood"}]}""");
var mastodon = Frames(i => "event: update\ndata: " + $$$"""{"id":"1090000000{{{i:D8}}}","created_at":"2026-11-21T10:00:00.000Z","edited_at":null,"in_reply_to_id":null,"sensitive":false,"spoiler_text":"","visibility":"public","language":"en","uri":"https://social.example/users/ann/statuses/{{{i}}}","url":"https://social.example/@ann/{{{i}}}","content":"<p>Road closed by the <a href=\"https://social.example/tags/flood\" class=\"mention hashtag\" rel=\"tag\">#<span>flood</span></a> &amp; bridge, number {{{i}}}</p>","account":{"id":"1","username":"ann","acct":"ann@social.example","display_name":"Ann"},"media_attachments":[],"tags":[{"name":"flood","url":"https://social.example/tags/flood"}],"reblog":null}""");
var bluesky = Frames(i => $$$"""{"did":"did:plc:user{{{i % 500}}}","time_us":{{{1_763_700_000_000_000 + i}}},"kind":"commit","commit":{"rev":"3l{{{i}}}","operation":"create","collection":"app.bsky.feed.post","rkey":"3k{{{i}}}","record":{"$type":"app.bsky.feed.post","text":"Flood warning for the river, stay safe {{{i}}}","createdAt":"2026-11-21T10:00:00.000Z","langs":["en"]},"cid":"bafyrei{{{i}}}"}}""");

Console.WriteLine($"runtime {Environment.Version}, {seconds:0.#} s per format, one thread");
Run(new XStreamNormaliser(), x);
Run(new MastodonStatusNormaliser(), mastodon);
Run(new BlueskyJetstreamNormaliser(), bluesky);

void Run(IPostNormaliser normaliser, byte[][] frames)
{
    // Warm up (tiered JIT), then count whole passes for the time given.
    for (var i = 0; i < frames.Length; i++)
    {
        Check(normaliser.Normalise(frames[i]));
    }
    long count = 0;
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        foreach (var frame in frames)
        {
            Check(normaliser.Normalise(frame));
        }
        count += frames.Length;
    }
    var rate = count / watch.Elapsed.TotalSeconds;
    var bytes = frames.Average(f => f.Length);
    Console.WriteLine($"{normaliser.Format,-18} {rate,12:N0} frames/s  ({bytes:N0} B/frame, {rate * bytes / 1_048_576:N1} MiB/s)");
}

static void Check(NormaliseResult result)
{
    if (result.Post is null)
    {
        throw new InvalidOperationException("benchmark frame did not normalise: " + result.Error);
    }
}

static byte[][] Frames(Func<int, string> frame) => Enumerable.Range(0, 1000).Select(i => Encoding.UTF8.GetBytes(frame(i))).ToArray();
