using System.Text;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Replay;

namespace CrisisDesk.UnitTests.Ingest;

public sealed class ReplaySourceTests
{
    [Fact]
    public async Task A_PHEME_array_replays_every_tweet_in_time_order_with_a_counting_cursor()
    {
        var items = await ReadAllAsync(File.ReadAllBytes(Fixture.Path("Ingest", "pheme-germanwings-sample.json")), XV1TweetFormat.Name);

        Assert.Equal(6, items.Count);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], items.Select(i => i.Cursor));
        var times = items.Select(i => new XV1TweetFormat().Normalise(i.Payload.Span).Post!.CreatedAt).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task Resuming_from_a_cursor_delivers_only_what_came_after_it()
    {
        var file = File.ReadAllBytes(Fixture.Path("Ingest", "pheme-germanwings-sample.json"));
        var all = await ReadAllAsync(file, XV1TweetFormat.Name);

        var rest = await ReadAllAsync(file, XV1TweetFormat.Name, cursor: "4");

        Assert.Equal(all.Skip(4).Select(i => i.Cursor), rest.Select(i => i.Cursor));
        Assert.Equal(all.Skip(4).Select(i => Encoding.UTF8.GetString(i.Payload.Span)), rest.Select(i => Encoding.UTF8.GetString(i.Payload.Span)));
    }

    [Fact]
    public async Task The_CrisisLex_header_is_skipped_and_records_become_items()
    {
        var items = await ReadAllAsync(File.ReadAllBytes(Fixture.Path("Ingest", "crisislex-boston-sample.csv")), CrisisLexCsvFormat.Name);

        Assert.Equal(20, items.Count);
        Assert.All(items, i => Assert.NotNull(new CrisisLexCsvFormat().Normalise(i.Payload.Span).Post));
    }

    [Fact]
    public async Task A_bad_line_keeps_its_place_and_is_delivered_for_quarantine_while_the_rest_goes_on()
    {
        var good1 = PostJsonLinesFormat.ToLine(Post("a", 1));
        var good2 = PostJsonLinesFormat.ToLine(Post("b", 2));
        var bytes = Encoding.UTF8.GetBytes(good1 + "\n").Concat(Encoding.Latin1.GetBytes("{\"text\":\"caf\u00e9\"}\n")).Concat(Encoding.UTF8.GetBytes(good2 + "\n")).ToArray();

        var items = await ReadAllAsync(bytes, PostJsonLinesFormat.Name);
        var results = items.Select(i => PostFormats.Default.Normalise(i)).ToList();

        Assert.Equal(3, items.Count);
        Assert.Equal("a", results[0].Post!.ExternalId);
        Assert.True(results[1].IsMalformed);
        Assert.Equal("b", results[2].Post!.ExternalId);
    }

    [Fact]
    public async Task A_UTF16_file_is_converted_rather_than_refused_line_by_line()
    {
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(PostJsonLinesFormat.ToLine(Post("ü", 1)) + "\n")).ToArray();

        var item = Assert.Single(await ReadAllAsync(utf16, PostJsonLinesFormat.Name));

        Assert.Equal("ü", PostFormats.Default.Normalise(item).Post!.ExternalId);
    }

    [Fact]
    public async Task A_truncated_JSON_array_fails_the_source_with_a_reason()
    {
        var file = File.ReadAllBytes(Fixture.Path("Ingest", "pheme-germanwings-sample.json"));

        var error = await Assert.ThrowsAsync<ReplayException>(() => ReadAllAsync(file[..(file.Length / 2)], XV1TweetFormat.Name));

        Assert.Contains("not a readable JSON array", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_that_is_not_a_count_is_refused()
    {
        await Assert.ThrowsAsync<ReplayException>(() => ReadAllAsync("[]"u8.ToArray(), XV1TweetFormat.Name, cursor: "abc"));
    }

    [Fact]
    public async Task The_pace_waits_for_the_original_spacing_divided_by_the_speed_capped_at_the_longest_gap()
    {
        // Posts one hour apart at 3600x take one second each, capped here at 50 ms: the replay takes about 100 ms, not 2 s.
        var lines = string.Join('\n', Enumerable.Range(0, 3).Select(i => PostJsonLinesFormat.ToLine(Post($"p{i}", i * 3600))));
        var source = new ReplaySource(_ => Task.FromResult(Encoding.UTF8.GetBytes(lines)), PostJsonLinesFormat.Name, new ReplayPace(3600, TimeSpan.FromMilliseconds(50)));

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var items = new List<RawItem>();
        await foreach (var item in source.ReadAsync(null, cancel.Token))
            items.Add(item);

        Assert.Equal(3, items.Count);
    }

    [Fact]
    public async Task Waits_that_end_late_are_made_up_so_the_replay_keeps_its_speed()
    {
        // 100 posts 10 ms apart at real speed, on a clock whose every wait ends 6 ms late (a timer's granularity, a busy
        // machine): paced item by item this took 99 x 16 ms; paced against its schedule it takes about 99 x 10 ms.
        var lines = string.Join('\n', Enumerable.Range(0, 100).Select(i => PostJsonLinesFormat.ToLine(Post($"p{i}", 0) with { CreatedAt = Post("", 0).CreatedAt.AddMilliseconds(i * 10) })));
        var clock = new LateClock(TimeSpan.FromMilliseconds(6));
        var source = new ReplaySource(_ => Task.FromResult(Encoding.UTF8.GetBytes(lines)), PostJsonLinesFormat.Name, new ReplayPace(1, TimeSpan.FromSeconds(2)), clock);

        var items = new List<RawItem>();
        await foreach (var item in source.ReadAsync(null, CancellationToken.None))
            items.Add(item);

        Assert.Equal(100, items.Count);
        Assert.InRange(clock.Now, TimeSpan.FromMilliseconds(990), TimeSpan.FromMilliseconds(1000));
    }

    [Fact]
    public async Task After_a_long_stall_the_replay_resumes_its_pace_instead_of_rushing()
    {
        // 30 posts 100 ms apart; the consumer stalls 5 s after the tenth (sent at 0.9 s), so at 5.9 s the eleventh, due at
        // 1.0 s, is 4.9 s behind. The replay makes up one second of that at once, then goes on at its pace: it ends 3.9 s
        // late (6.8 s instead of 2.9 s), rather than sending everything due at once.
        var lines = string.Join('\n', Enumerable.Range(0, 30).Select(i => PostJsonLinesFormat.ToLine(Post($"p{i}", 0) with { CreatedAt = Post("", 0).CreatedAt.AddMilliseconds(i * 100) })));
        var clock = new LateClock(TimeSpan.Zero);
        var source = new ReplaySource(_ => Task.FromResult(Encoding.UTF8.GetBytes(lines)), PostJsonLinesFormat.Name, new ReplayPace(1, TimeSpan.FromSeconds(2)), clock);

        var count = 0;
        await foreach (var item in source.ReadAsync(null, CancellationToken.None))
        {
            if (++count == 10)
                clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(30, count);
        Assert.Equal(TimeSpan.FromSeconds(1), ReplaySource.CatchUp);
        Assert.Equal(TimeSpan.FromMilliseconds(6800), clock.Now);
    }

    /// <summary>
    /// A virtual clock for <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>: each wait moves it on by the
    /// time asked plus <paramref name="lateness"/> and then ends at once.
    /// </summary>
    private sealed class LateClock(TimeSpan lateness) : TimeProvider
    {
        private long _ticks;

        public TimeSpan Now => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Advance(dueTime + lateness);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new Fired();
        }

        private sealed class Fired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static Core.Posts.Post Post(string id, int secondsAfter) => new()
    {
        Platform = "x",
        ExternalId = id,
        CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(secondsAfter),
        Text = $"post {id}",
    };

    private static async Task<List<RawItem>> ReadAllAsync(byte[] file, string format, string? cursor = null)
    {
        var source = new ReplaySource(_ => Task.FromResult(file), format, ReplayPace.AsFastAsPossible);
        var items = new List<RawItem>();
        await foreach (var item in source.ReadAsync(cursor, CancellationToken.None))
            items.Add(item);
        return items;
    }
}
