using CrisisDesk.Bench.Shared;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>
/// The incident the bench replays: a JSON Lines file of normalised posts (<c>post.jsonl</c>) made from the drill's 238
/// real Germanwings tweets, each repeated with a new id, a later time and a varied text (retweet prefix, tags, a link,
/// an update note) or another tweet's author, as the ingest bench makes them. At speed 1 the replay delivers them at
/// <c>rate</c> posts/s, in ticks: the posts of one <c>tick</c> share their <c>created_at</c> (50 posts every 100 ms at
/// 500 posts/s), so that each tick is one batch of the pipeline. A tick of <c>1/rate</c> (2 ms) spaces every post.
/// </summary>
internal static class PostFile
{
    public static int Write(string path, string templatesPath, int rate, TimeSpan tick, TimeSpan duration, DateTimeOffset start)
    {
        var templates = LoadTemplates(templatesPath);
        var count = (int)Math.Ceiling(rate * duration.TotalSeconds);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 20);
        for (var i = 0; i < count; i++)
        {
            var template = templates[i % templates.Count];
            var round = i / templates.Count;
            var other = templates[(i + round + 1) % templates.Count];
            var author = round % 3 == 1 ? other : template;
            var id = (800_000_000_000_000_000L + i).ToString(CultureInfo.InvariantCulture);
            var post = template with
            {
                ExternalId = id,
                CreatedAt = start.AddTicks((long)Math.Floor(i * (double)TimeSpan.TicksPerSecond / rate / tick.Ticks) * tick.Ticks),
                AuthorHandle = author.AuthorHandle,
                AuthorName = author.AuthorName,
                Text = PostVariations.Vary(template.Text, other.AuthorHandle ?? "someone", round, i),
                Url = $"https://x.com/{author.AuthorHandle}/status/{id}",
            };
            writer.Write(PostJsonLinesFormat.ToLine(post));
            writer.Write('\n');
        }
        return count;
    }


    private static List<Post> LoadTemplates(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var templates = new List<Post>();
        foreach (var tweet in document.RootElement.EnumerateArray())
        {
            var result = XV1TweetFormat.Normalise(tweet);
            templates.Add(result.Post ?? throw new InvalidOperationException($"a drill tweet did not normalise: {result.Error}"));
        }
        return templates;
    }
}
