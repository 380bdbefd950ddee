using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.UnitTests.Ingest;

public sealed class XV1TweetFormatTests
{
    private static readonly XV1TweetFormat Format = new();

    [Fact]
    public void A_real_PHEME_tweet_becomes_a_post()
    {
        var tweets = JsonDocument.Parse(File.ReadAllBytes(Fixture.Path("Ingest", "pheme-germanwings-sample.json"))).RootElement;
        var tweet = tweets[0];

        var post = XV1TweetFormat.Normalise(tweet).Post!;

        Assert.Equal("x", post.Platform);
        Assert.Equal(tweet.GetProperty("id_str").GetString(), post.ExternalId);
        Assert.Equal(tweet.GetProperty("user").GetProperty("screen_name").GetString(), post.AuthorHandle);
        Assert.True(XV1TweetFormat.TryParseCreatedAt(tweet.GetProperty("created_at").GetString()!, out var created));
        Assert.Equal(created, post.CreatedAt);
        Assert.StartsWith("https://x.com/", post.Url, StringComparison.Ordinal);
        Assert.Contains("\"veracity\"", post.Extra, StringComparison.Ordinal);
    }

    [Fact]
    public void The_author_s_verified_mark_and_the_first_photo_are_kept_for_the_war_room()
    {
        var tweets = JsonDocument.Parse(File.ReadAllBytes(Fixture.Path("Ingest", "pheme-germanwings-sample.json"))).RootElement;
        var verified = tweets.EnumerateArray().First(t => t.GetProperty("user").GetProperty("verified").GetBoolean());
        var plain = tweets.EnumerateArray().First(t => !t.GetProperty("user").GetProperty("verified").GetBoolean());

        Assert.Contains("\"verified\":\"true\"", XV1TweetFormat.Normalise(verified).Post!.Extra, StringComparison.Ordinal);
        Assert.DoesNotContain("\"verified\":", XV1TweetFormat.Normalise(plain).Post!.Extra ?? "", StringComparison.Ordinal);

        var withPhoto = XV1TweetFormat.Normalise(JsonDocument.Parse("""
            {"id_str":"1","created_at":"Tue Mar 24 10:37:41 +0000 2015","text":"look","user":{"screen_name":"a","verified":false},
             "entities":{"media":[{"type":"photo","media_url":"http://pbs.twimg.com/media/x.png","media_url_https":"https://pbs.twimg.com/media/x.png"}]}}
            """).RootElement).Post!;
        Assert.True(withPhoto.HasMedia);
        Assert.Contains("\"thumbnail\":\"https://pbs.twimg.com/media/x.png\"", withPhoto.Extra, StringComparison.Ordinal);
    }

    [Fact]
    public void The_v1_time_form_with_its_numeric_offset_is_read()
    {
        Assert.True(XV1TweetFormat.TryParseCreatedAt("Wed Mar 25 12:24:34 +0000 2015", out var created));
        Assert.Equal(new DateTimeOffset(2015, 3, 25, 12, 24, 34, TimeSpan.Zero), created);
    }

    [Fact]
    public void Escaped_markup_in_tweet_text_is_unescaped_once_and_kept_as_text()
    {
        var post = Normalise("""{"id_str":"1","created_at":"Wed Mar 25 12:24:34 +0000 2015","text":"&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"}""").Post!;

        Assert.Equal("<script>alert(1)</script> & more", post.Text);
    }

    [Theory]
    [InlineData("{\"id_str\":\"1\",\"created_at\":\"Wed Mar 25 12:24:34 +0000 2015\"", "malformed JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"created_at\":\"Wed Mar 25 12:24:34 +0000 2015\",\"text\":\"t\"}", "no id_str")]
    [InlineData("{\"id_str\":\"9\",\"created_at\":\"2015-03-25T12:24:34Z\",\"text\":\"t\"}", "no created_at in the v1.1 form")]
    [InlineData("{\"id_str\":\"9\",\"created_at\":\"Wed Mar 25 12:24:34 +0000 2015\"}", "has no text")]
    public void Malformed_tweets_are_refused_with_a_reason(string json, string reason)
    {
        var result = Normalise(json);

        Assert.True(result.IsMalformed);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_UTF8_is_refused_with_the_byte_offset()
    {
        var latin1 = Encoding.Latin1.GetBytes("{\"id_str\":\"1\",\"created_at\":\"Wed Mar 25 12:24:34 +0000 2015\",\"text\":\"Düsseldorf\"}");

        var result = Format.Normalise(latin1);

        Assert.True(result.IsMalformed);
        Assert.Contains("not valid UTF-8 (byte offset", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_JSON_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);

        var result = Normalise(deep);

        Assert.True(result.IsMalformed);
        Assert.Contains("malformed JSON", result.Error, StringComparison.Ordinal);
    }

    private static Core.Ingest.NormaliseResult Normalise(string json) => Format.Normalise(Encoding.UTF8.GetBytes(json));
}

public sealed class CrisisLexCsvFormatTests
{
    private static readonly CrisisLexCsvFormat Format = new();

    [Fact]
    public void A_labelled_record_becomes_a_post_timed_by_its_snowflake_id()
    {
        var result = Format.Normalise("\"323808103780990976\",\"RT @VitoCaro7: Good luck, today! #bostonmarathon\",Not labeled,Not labeled,Not related"u8);

        var post = result.Post!;
        Assert.Equal("323808103780990976", post.ExternalId);
        Assert.Equal("RT @VitoCaro7: Good luck, today! #bostonmarathon", post.Text);
        // 2013-04-15, the day of the marathon, from (id >> 22) + the X epoch.
        Assert.Equal(new DateOnly(2013, 4, 15), DateOnly.FromDateTime(post.CreatedAt.UtcDateTime));
        Assert.Contains("\"informativeness\":\"Not related\"", post.Extra, StringComparison.Ordinal);
    }

    [Fact]
    public void Quoted_fields_keep_commas_doubled_quotes_and_line_breaks()
    {
        var post = Format.Normalise("\"323808103780990976\",\"He said \"\"run, now\"\"\nthen left\",Eyewitness,Caution,Related and informative"u8).Post!;

        Assert.Equal("He said \"run, now\"\nthen left", post.Text);
    }

    [Theory]
    [InlineData("\"abc\",\"text\",a,b,c", "is not a number")]
    [InlineData("\"12345\",\"text\",a,b,c", "not a snowflake id")]
    [InlineData("\"323808103780990976\",\"text\",a,b", "has 4")]
    [InlineData("\"323808103780990976\",\"unclosed,a,b,c", "not closed")]
    public void Malformed_records_are_refused_with_a_reason(string record, string reason)
    {
        var result = Format.Normalise(Encoding.UTF8.GetBytes(record));

        Assert.True(result.IsMalformed);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_in_another_encoding_is_refused_not_garbled()
    {
        var result = Format.Normalise(Encoding.Latin1.GetBytes("\"323808103780990976\",\"Café près du marathon\",a,b,c"));

        Assert.True(result.IsMalformed);
        Assert.Contains("UTF-8", result.Error, StringComparison.Ordinal);
    }
}

public sealed class PostJsonLinesFormatTests
{
    private static readonly PostJsonLinesFormat Format = new();

    [Fact]
    public void A_post_written_as_a_line_reads_back_the_same()
    {
        var post = new Core.Posts.Post
        {
            Platform = "mastodon",
            ExternalId = "https://example.social/@a/1",
            CreatedAt = new DateTimeOffset(2026, 11, 21, 14, 32, 0, TimeSpan.Zero),
            AuthorHandle = "a@example.social",
            AuthorName = "A",
            Text = "Line one\nline <two>",
            Url = "https://example.social/@a/1",
            Language = "en",
            HasMedia = true,
            Extra = "{\"k\":\"v\"}",
        };

        var read = Format.Normalise(Encoding.UTF8.GetBytes(PostJsonLinesFormat.ToLine(post))).Post;

        Assert.Equal(post, read);
    }

    [Fact]
    public void A_line_lacking_required_fields_names_each_of_them()
    {
        var result = Format.Normalise("{\"platform\":\"x\"}"u8);

        Assert.True(result.IsMalformed);
        Assert.Contains("externalId", result.Error, StringComparison.Ordinal);
        Assert.Contains("text", result.Error, StringComparison.Ordinal);
        Assert.Contains("createdAt", result.Error, StringComparison.Ordinal);
    }
}
