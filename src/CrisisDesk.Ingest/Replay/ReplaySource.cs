using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Replay;

/// <summary>How fast a replay runs.</summary>
/// <param name="Speed">How many times faster than the original spacing; 0 or less replays as fast as the pipeline takes it.</param>
/// <param name="MaxGap">The longest pause between two items, so that a quiet night in the data does not stall a drill.</param>
public sealed record ReplayPace(double Speed, TimeSpan MaxGap)
{
    public static readonly ReplayPace AsFastAsPossible = new(0, TimeSpan.Zero);
}

/// <summary>
/// Replays a recorded data set in its original order and spacing (compressed by the pace): PHEME JSON arrays of
/// X v1.1 tweets, CrisisLexT26 labelled CSV, or JSON Lines of normalised posts. The cursor is the number of items
/// already delivered, in time order, so a restart resumes exactly where the last committed batch ended.
/// </summary>
public sealed class ReplaySource(Func<CancellationToken, Task<byte[]>> readFile, string format, ReplayPace pace, TimeProvider? timeProvider = null) : IIngestSource
{
    /// <summary>How far behind its schedule a replay may fall and still catch up at once.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public static ReplaySource FromFile(string path, string format, ReplayPace pace, TimeProvider? timeProvider = null) =>
        new(ct => File.ReadAllBytesAsync(path, ct), format, pace, timeProvider);

    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var skip = 0;
        if (cursor is not null && (!int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out skip) || skip < 0))
            throw new ReplayException($"the saved replay cursor \"{cursor}\" is not an item count");
        var items = Load(await readFile(cancellationToken).ConfigureAwait(false), format);
        DateTimeOffset? previous = null;
        // Paced against a schedule rather than item by item: a wait that ends late (a timer's granularity, a busy
        // machine) or a slow consumer is made up by the next items, so the replay keeps its speed instead of drifting
        // slower with every wait. After a stall longer than CatchUp, it resumes its pace rather than rushing.
        var started = _time.GetTimestamp();
        var schedule = TimeSpan.Zero;
        for (var i = skip; i < items.Count; i++)
        {
            var (time, payload) = items[i];
            if (previous is { } before && pace.Speed > 0)
            {
                var gap = TimeSpan.FromTicks((long)((time - before).Ticks / pace.Speed));
                if (gap > pace.MaxGap)
                    gap = pace.MaxGap;
                if (gap > TimeSpan.Zero)
                {
                    schedule += gap;
                    var elapsed = _time.GetElapsedTime(started);
                    if (schedule > elapsed)
                        await Task.Delay(schedule - elapsed, _time, cancellationToken).ConfigureAwait(false);
                    else if (elapsed - schedule > CatchUp)
                        schedule = elapsed - CatchUp;
                }
            }
            previous = time;
            yield return new RawItem(format, payload, (i + 1).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Splits a file into items in time order. Items that will not normalise keep their place in the file's order.</summary>
    public static List<(DateTimeOffset Time, ReadOnlyMemory<byte> Payload)> Load(byte[] file, string format)
    {
        var payloads = Split(ToUtf8(file), format);
        var normaliser = PostFormats.Default[format];
        var items = new List<(DateTimeOffset, ReadOnlyMemory<byte>)>(payloads.Count);
        var last = DateTimeOffset.MinValue;
        foreach (var payload in payloads)
        {
            if (normaliser.Normalise(payload.Span).Post is { } post)
                last = post.CreatedAt;
            items.Add((last, payload));
        }
        // A stable sort: equal times keep the file's order, so the cursor means the same thing on every run.
        return items.Select((item, index) => (item, index)).OrderBy(x => x.item.Item1).ThenBy(x => x.index).Select(x => x.item).ToList();
    }

    private static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> data, string format) => format switch
    {
        XV1TweetFormat.Name => SplitJsonArrayOrLines(data),
        CrisisLexCsvFormat.Name => SplitCsv(data),
        PostJsonLinesFormat.Name => SplitLines(data),
        _ => throw new ReplayException($"replay cannot read format \"{format}\"; it reads {XV1TweetFormat.Name}, {CrisisLexCsvFormat.Name} and {PostJsonLinesFormat.Name}"),
    };

    /// <summary>
    /// The replay format a file is in, by trying each on its first items: the one under which most of them normalise
    /// into posts. Null when none reads a single post.
    /// </summary>
    public static string? SniffFormat(byte[] file, int sample = 50)
    {
        var data = ToUtf8(file);
        string? best = null;
        var bestCount = 0;
        foreach (var format in new[] { XV1TweetFormat.Name, CrisisLexCsvFormat.Name, PostJsonLinesFormat.Name })
        {
            List<ReadOnlyMemory<byte>> payloads;
            try
            {
                payloads = Split(data, format);
            }
            catch (ReplayException)
            {
                continue;
            }
            var normaliser = PostFormats.Default[format];
            var count = payloads.Take(sample).Count(p => normaliser.Normalise(p.Span).Post is not null);
            if (count > bestCount)
                (best, bestCount) = (format, count);
        }
        return best;
    }

    /// <summary>UTF-8 as is (without its BOM); UTF-16 with a BOM is converted. Anything else is left for the normaliser to refuse per item.</summary>
    private static ReadOnlyMemory<byte> ToUtf8(byte[] file)
    {
        if (file.Length >= 3 && file[0] == 0xEF && file[1] == 0xBB && file[2] == 0xBF)
            return file.AsMemory(3);
        if (file.Length >= 2 && ((file[0] == 0xFF && file[1] == 0xFE) || (file[0] == 0xFE && file[1] == 0xFF)))
        {
            var encoding = file[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
            return Encoding.UTF8.GetBytes(encoding.GetString(file, 2, file.Length - 2));
        }
        return file;
    }

    private static List<ReadOnlyMemory<byte>> SplitJsonArrayOrLines(ReadOnlyMemory<byte> data)
    {
        var firstNonSpace = data.Span.IndexOfAnyExcept(" \t\r\n"u8);
        if (firstNonSpace < 0 || data.Span[firstNonSpace] != (byte)'[')
            return SplitLines(data);
        // A JSON array (PHEME's form): the file must parse as a whole; each element is one item.
        var reader = new Utf8JsonReader(data.Span, new JsonReaderOptions { MaxDepth = PayloadText.MaxJsonDepth });
        var items = new List<ReadOnlyMemory<byte>>();
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                items.Add(data[start..((int)reader.BytesConsumed)]);
            }
        }
        catch (JsonException e)
        {
            throw new ReplayException($"the file is not a readable JSON array of tweets ({e.Message}); {items.Count} items were read before the fault");
        }
        return items;
    }

    private static List<ReadOnlyMemory<byte>> SplitLines(ReadOnlyMemory<byte> data)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        while (start < data.Length)
        {
            var length = data.Span[start..].IndexOf((byte)'\n');
            var end = length < 0 ? data.Length : start + length;
            var line = data[start..end];
            if (line.Length > 0 && line.Span[^1] == (byte)'\r')
                line = line[..^1];
            if (!line.Span.Trim(" \t"u8).IsEmpty)
                lines.Add(line);
            start = end + 1;
        }
        return lines;
    }

    private static List<ReadOnlyMemory<byte>> SplitCsv(ReadOnlyMemory<byte> data)
    {
        var records = Csv.SplitRecords(data).Select(r => data.Slice(r.Start, r.Length)).ToList();
        if (records.Count > 0 && records[0].Span.StartsWith("Tweet ID"u8))
            records.RemoveAt(0);
        return records;
    }
}

/// <summary>A replay file or cursor that cannot be used at all; the message says why.</summary>
public sealed class ReplayException(string message) : Exception(message);
