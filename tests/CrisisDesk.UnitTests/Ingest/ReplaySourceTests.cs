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
