using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.WarRoom;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CrisisDesk.UnitTests.WarRoom;

/// <summary>The post card rendered to HTML by Blazor's own renderer.</summary>
public sealed class PostCardTests
{
    [Fact]
    public async Task Post_text_is_rendered_as_text_never_as_markup()
    {
        var html = await RenderAsync(Post(text: "<script>alert('x')</script><b>bold</b> & <img src=x onerror=alert(1)>"));

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; &amp;", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("not a url")]
    public async Task Only_http_links_are_rendered(string url)
    {
        var html = await RenderAsync(Post(url: url));

        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Source_author_time_and_link_are_shown()
    {
        var html = await RenderAsync(Post(url: "https://x.com/a/status/1"));

        Assert.Contains(">X<", html, StringComparison.Ordinal);
        Assert.Contains("Alice @alice", html, StringComparison.Ordinal);
        Assert.Contains("24 Mar 10:37:41 UTC", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://x.com/a/status/1\"", html, StringComparison.Ordinal);
        Assert.Contains("rel=\"noopener noreferrer\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edited_post_shows_an_edited_mark_that_opens_its_versions_and_a_plain_one_does_not()
    {
        var edited = await RenderAsync(Post(text: "Bridge reopened") with { EditedAt = new DateTime(2015, 3, 24, 10, 45, 2, DateTimeKind.Utc) });
        var plain = await RenderAsync(Post());

        Assert.Matches("<button[^>]*class=\"mark-edited\"[^>]*data-testid=\"post-edited\"[^>]*title=\"Edited 24 Mar 10:45:02 UTC: show earlier versions\"[^>]*>edited</button>", edited);
        Assert.DoesNotContain("post-edited", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("post-deleted", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("deleted", System.Text.RegularExpressions.Regex.Match(plain, "<article[^>]*>").Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_post_says_deleted_by_author_and_keeps_its_text_muted()
    {
        var html = await RenderAsync(Post(text: "Evacuate <now>") with { DeletedAt = new DateTime(2015, 3, 24, 11, 0, 0, DateTimeKind.Utc) });

        Assert.Matches("<article class=\"post[^\"]* deleted\"", html);
        Assert.Contains(">deleted by author</span>", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"post-deleted\"", html, StringComparison.Ordinal);
        Assert.Contains("Evacuate &lt;now&gt;", html, StringComparison.Ordinal);
    }

    private static TriagePost Post(string text = "hello", string? url = null) =>
        new(1, "x", "alice", "Alice", new DateTime(2015, 3, 24, 10, 37, 41, DateTimeKind.Utc), text, url, false, "en", null, 0, false, false, null);

    private static Task<string> RenderAsync(TriagePost post) =>
        Render.ComponentAsync<PostCard>(new Dictionary<string, object?> { ["Post"] = post });
}

public sealed class VolumeSeriesTests
{
    [Fact]
    public void Live_posts_add_to_their_minute_and_the_window_keeps_sixty_minutes_with_zeros()
    {
        var start = new DateTime(2015, 3, 24, 10, 0, 0, DateTimeKind.Utc);
        var series = new VolumeSeries([new MinuteVolume(start, 3)]);

        series.Add([Stored(start.AddSeconds(30)), Stored(start.AddMinutes(2).AddSeconds(5))]);
        var minutes = series.Minutes();

        Assert.Equal(WarRoomQueries.VolumeMinutes, minutes.Count);
        Assert.Equal(start.AddMinutes(2), minutes[^1].Minute);
        Assert.Equal(1, minutes[^1].Count);
        Assert.Equal(0, minutes[^2].Count);
        Assert.Equal(4, minutes[^3].Count);
    }

    [Fact]
    public void Minutes_older_than_the_window_fall_out()
    {
        var start = new DateTime(2015, 3, 24, 10, 0, 0, DateTimeKind.Utc);
        var series = new VolumeSeries([new MinuteVolume(start, 7)]);

        series.Add([Stored(start.AddMinutes(90))]);

        Assert.DoesNotContain(series.Minutes(), m => m.Count == 7);
        Assert.Equal(1, series.Minutes().Sum(m => m.Count));
    }

    private static Core.Posts.StoredPost Stored(DateTime at) => new(1, 1, 1, DateTimeOffset.UtcNow,
        new Core.Posts.Post { Platform = "x", ExternalId = at.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), CreatedAt = at, Text = "t" });
}

public sealed class VolumeChartTests
{
    [Fact]
    public async Task Each_minute_is_a_bar_scaled_to_the_peak_and_every_tenth_minute_is_labelled()
    {
        var start = new DateTime(2015, 3, 24, 14, 15, 0, DateTimeKind.Utc);
        var minutes = Enumerable.Range(0, 60).Select(i => new MinuteVolume(start.AddMinutes(i), i == 59 ? 4 : i % 20 == 0 ? 2 : 0)).ToList();

        var html = await Render.ComponentAsync<VolumeChart>(new Dictionary<string, object?> { ["Minutes"] = minutes });

        Assert.Equal(60, System.Text.RegularExpressions.Regex.Count(html, "<rect "));
        Assert.Contains("data-minute=\"15:14\" data-count=\"4\"", html, StringComparison.Ordinal);
        Assert.Contains(">14:20</text>", html, StringComparison.Ordinal);
        Assert.Contains(">15:10</text>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">14:21</text>", html, StringComparison.Ordinal);
        Assert.Contains("10 posts, peak 4 per minute", html, StringComparison.Ordinal);
    }
}

internal static class Render
{
    public static async Task<string> ComponentAsync<TComponent>(IDictionary<string, object?> parameters) where TComponent : IComponent
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
        return await renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
    }
}
