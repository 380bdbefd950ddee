using CrisisDesk.Bench.Shared;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Bench.Ingest;

/// <summary>
/// The items the bench ingests, held in memory: <c>uniquePosts</c> posts made from the drill's real tweets (each
/// template repeated with a new id, a later time and a varied text or author) plus one re-delivery per hundred,
/// half of them recent (the pipeline's in-memory dedupe drops them) and half from further back than it remembers
/// (the database's unique key absorbs them).
/// </summary>
internal sealed class IngestCorpus
{
    private const int ChunkSize = 16 * 1024 * 1024;

    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;

    private IngestCorpus(string format) => Format = format;

    public string Format { get; }

    /// <summary>What the source delivers, in order: the payloads, re-deliveries included.</summary>
    public List<ReadOnlyMemory<byte>> Items { get; } = [];

    public int UniquePosts { get; private set; }

    public int Redeliveries { get; private set; }

    /// <summary>Re-deliveries older than the pipeline's recent-key memory: only the database can drop them.</summary>
    public int FarRedeliveries { get; private set; }

    public long PayloadBytes { get; private set; }

    /// <summary>
    /// Builds the corpus. Every unique post is also normalised here, with the pipeline's own normaliser, and handed
    /// to <paramref name="onUniquePost"/>: that is the row the pipeline must store, and what the raw file holds.
    /// </summary>
    public static IngestCorpus Build(IReadOnlyList<TweetTemplate> templates, string format, int uniquePosts, long idBase,
        int recentKeyCapacity, Action<Post>? onUniquePost)
    {
        var corpus = new IngestCorpus(format);
        var normaliser = PostFormats.Default[format];
        var uniqueItems = new ReadOnlyMemory<byte>[uniquePosts];
        var random = new Random(2015);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(8192);
        for (var i = 0; i < uniquePosts; i++)
        {
            buffer.ResetWrittenCount();
            var template = templates[i % templates.Count];
            var round = i / templates.Count;
            var other = templates[(i + round + 1) % templates.Count];
            var id = (idBase + i).ToString(CultureInfo.InvariantCulture);
            var createdAt = template.Post.CreatedAt.AddMilliseconds(round * 250L);
            var text = PostVariations.Vary(template.RawText, other.Post.AuthorHandle ?? "someone", round, i);
            if (format == PostJsonLinesFormat.Name)
                WritePostLine(buffer, template.Post, round % 3 == 1 ? other.Post : template.Post, id, createdAt, System.Net.WebUtility.HtmlDecode(text));
            else if (format == XV1TweetFormat.Name)
                WriteTweet(buffer, template.Tweet, round % 3 == 1 ? other.Tweet : template.Tweet, id, createdAt, text);
            else
                throw new ArgumentException($"the bench makes \"{PostJsonLinesFormat.Name}\" or \"{XV1TweetFormat.Name}\" items, not \"{format}\"");

            var payload = corpus.Keep(buffer.WrittenSpan);
            uniqueItems[i] = payload;
            corpus.Items.Add(payload);
            var result = normaliser.Normalise(payload.Span);
            var post = result.Post ?? throw new InvalidOperationException($"a generated {format} item did not normalise: {result.Error}");
            onUniquePost?.Invoke(post);

            if (i % 100 == 99)
            {
                // A re-delivery: alternately a recent item and, once there is one, an item older than the recent-key memory.
                var far = corpus.Redeliveries % 2 == 1 && i > recentKeyCapacity + 1_000;
                var earlier = far ? random.Next(0, i - recentKeyCapacity - 1_000) : i - random.Next(1, Math.Min(i, 2_000) + 1);
                corpus.Items.Add(uniqueItems[earlier]);
                corpus.Redeliveries++;
                if (far)
                    corpus.FarRedeliveries++;
            }
        }
        corpus.UniquePosts = uniquePosts;
        return corpus;
    }


    private static void WritePostLine(System.Buffers.IBufferWriter<byte> buffer, Post template, Post author, string id, DateTimeOffset createdAt, string text)
    {
        var post = template with
        {
            ExternalId = id,
            CreatedAt = createdAt,
            AuthorHandle = author.AuthorHandle,
            AuthorName = author.AuthorName,
            Text = text,
            Url = $"https://x.com/{author.AuthorHandle}/status/{id}",
        };
        var line = PostJsonLinesFormat.ToLine(post);
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(line, span));
    }

    /// <summary>The template tweet with a new id, time and text (and another tweet's user when the author varies).</summary>
    private static void WriteTweet(System.Buffers.IBufferWriter<byte> buffer, JsonElement template, JsonElement author, string id, DateTimeOffset createdAt, string text)
    {
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        foreach (var property in template.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    writer.WriteNumber("id", long.Parse(id, CultureInfo.InvariantCulture));
                    break;
                case "id_str":
                    writer.WriteString("id_str", id);
                    break;
                case "text":
                    writer.WriteString("text", text);
                    break;
                case "created_at":
                    writer.WriteString("created_at", createdAt.ToString("ddd MMM dd HH:mm:ss +0000 yyyy", CultureInfo.InvariantCulture));
                    break;
                case "user":
                    author.GetProperty("user").WriteTo(writer);
                    break;
                default:
                    property.WriteTo(writer);
                    break;
            }
        }
        writer.WriteEndObject();
    }

    private ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> payload)
    {
        if (_used + payload.Length > ChunkSize)
        {
            _chunks.Add(new byte[Math.Max(ChunkSize, payload.Length)]);
            _used = 0;
        }
        var chunk = _chunks[^1];
        payload.CopyTo(chunk.AsSpan(_used));
        var kept = new ReadOnlyMemory<byte>(chunk, _used, payload.Length);
        _used += payload.Length;
        PayloadBytes += payload.Length;
        return kept;
    }
}

/// <summary>One of the drill's real tweets: the object as archived, its text as archived and the post it normalises to.</summary>
internal sealed record TweetTemplate(JsonElement Tweet, string RawText, Post Post)
{
    public static IReadOnlyList<TweetTemplate> Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var templates = new List<TweetTemplate>();
        foreach (var tweet in document.RootElement.EnumerateArray())
        {
            var result = XV1TweetFormat.Normalise(tweet);
            var post = result.Post ?? throw new InvalidOperationException($"a drill tweet did not normalise: {result.Error}");
            if (post.CreatedAt.Offset != TimeSpan.Zero)
                throw new InvalidOperationException("the drill tweets are expected in UTC");
            templates.Add(new TweetTemplate(tweet.Clone(), tweet.GetProperty("text").GetString()!, post));
        }
        return templates;
    }
}
