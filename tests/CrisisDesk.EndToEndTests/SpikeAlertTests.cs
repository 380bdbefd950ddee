using System.Globalization;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// A source that has been steady for minutes suddenly bursts: the open war room shows the spike alert, naming the
/// source, the minute and the baseline it broke, without a reload.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SpikeAlertTests(BrowserFixture browser) : AppTests(browser)
{
    private const string SourceName = "Riverside replay";

    // Event time: minute-aligned, half an hour ago (the spike detector works in minutes of the posts' own time).
    private static readonly DateTimeOffset Start = MinuteAligned(DateTimeOffset.UtcNow).AddMinutes(-30);

    // Replays read only from the import directory: this test's own.
    private readonly string _importDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"crisisdesk-spike-{Guid.NewGuid():N}")).FullName;

    private string ReplayFile => Path.Combine(_importDirectory, "spike.jsonl");

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Replay:ImportDirectory"] = _importDirectory,
    };

    /// <summary>
    /// Eight quiet minutes of two posts a minute (the detector needs five closed minutes of history), then 40 posts in
    /// the first 20 seconds of minute 8, then (<paramref name="withTail"/>) a post every 5 seconds until 9:30, as a live
    /// stream goes on; it ends within two minutes of the burst, while the spike still counts as active. Without the
    /// tail the stream stops with the burst: the war room's side panels, read at most once a second on new posts, must
    /// still catch up with a spike called after their last read.
    /// </summary>
    private static List<Post> Incident(bool withTail)
    {
        var posts = new List<Post>();
        string[] quiet =
        [
            "Traffic slow on Riverside Road this morning",
            "Anyone know why the buses are late near the bridge?",
            "Lovely light over the river today",
            "Roadworks on the Riverside Road again",
        ];
        for (var minute = 0; minute < 8; minute++)
        {
            posts.Add(Post(posts.Count, Start.AddMinutes(minute).AddSeconds(10), quiet[(minute * 2) % quiet.Length]));
            posts.Add(Post(posts.Count, Start.AddMinutes(minute).AddSeconds(40), quiet[((minute * 2) + 1) % quiet.Length]));
        }
        // Ten different things said about it, four times each (a retweet, a tag, a link): no one story reaches the ten
        // posts a minute a spike needs, so the banner's one alert is the source's.
        string[] burst =
        [
            "The Riverside bridge has collapsed, cars in the water!",
            "Sirens everywhere along the river, something terrible happened",
            "My brother was driving over it ten minutes ago and is not answering his phone",
            "Huge crash heard from the quay, dust cloud rising over the water",
            "Ambulances and fire engines racing down Station Street",
            "Is the old railway crossing closed too? Trains stopped at Northgate",
            "Pray for everyone caught on that span this morning",
            "Council warned about cracks last year and did nothing",
            "Helicopter circling above the marina right now",
            "Schools near the river are keeping children inside",
        ];
        for (var i = 0; i < 40; i++)
        {
            var said = burst[i % burst.Length];
            var text = (i / burst.Length) switch
            {
                0 => said,
                1 => $"RT @witness{i}: {said}",
                2 => $"{said} #Riverside",
                _ => $"{said} https://t.co/r{i}",
            };
            posts.Add(Post(posts.Count, Start.AddMinutes(8).AddSeconds(i * 0.5), text));
        }
        for (var second = 30; withTail && second <= 90; second += 5)
            posts.Add(Post(posts.Count, Start.AddMinutes(8).AddSeconds(second), $"Police ask people to keep away from Riverside ({second})"));
        return posts;
    }

    private static DateTimeOffset MinuteAligned(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    private static Post Post(int n, DateTimeOffset at, string text) => new()
    {
        Platform = "x",
        ExternalId = (9_000_000 + n).ToString(CultureInfo.InvariantCulture),
        CreatedAt = at,
        AuthorHandle = $"resident{n % 23}",
        AuthorName = $"Resident {n % 23}",
        Text = text,
        Language = "en",
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_burst_after_a_steady_baseline_shows_the_spike_alert_in_the_open_war_room(bool withTail)
    {
        var posts = Incident(withTail);
        await File.WriteAllLinesAsync(ReplayFile, posts.Select(PostJsonLinesFormat.ToLine));

        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        var incidentId = await CreatedIdAsync(page, "/api/incidents", new { name = "Riverside bridge", keywords = new[] { "Riverside" } });
        // 30 times real time: the eight quiet minutes pass in 16 seconds.
        var sourceId = await CreatedIdAsync(page, $"/api/incidents/{incidentId}/sources",
            new { kind = "replay", name = SourceName, config = new { file = ReplayFile, format = "post.jsonl", speed = 30, maxGapSeconds = 2 } });

        await page.GotoAsync($"/incidents/{incidentId}");
        await page.WaitForCircuitAsync();
        Assert.Equal(0, await page.FeedTotalAsync());
        Assert.Equal(0, await page.GetByTestId("spike-banner").CountAsync());

        var started = await page.APIRequest.PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", new() { Headers = PageActions.ScriptHeaders });
        Assert.True(started.Ok, $"starting the source answered {started.Status}: {await started.TextAsync()}");

        // The alert appears while the page stays open, naming the source, the burst's minute and the baseline it broke.
        var spike = page.Locator("[data-testid=spike-banner] .spike", new() { HasTextString = $"source {SourceName}" });
        await spike.WaitForAsync(new() { Timeout = 90_000 });
        var burstMinute = Start.AddMinutes(8).ToString("HH:mm", CultureInfo.InvariantCulture);
        Assert.Equal($"source {SourceName} — 10 posts in {burstMinute} (baseline 2.0/min)", (await spike.InnerTextAsync()).Trim());
        Assert.Equal("alert", await page.GetByTestId("spike-banner").GetAttributeAsync("role"));

        // Every post arrives, and the spike is still shown once the stream has gone quiet.
        await PageActions.EventuallyAsync(page.FeedTotalAsync, total => total == posts.Count, $"the feed to show all {posts.Count} posts");
        Assert.True(await spike.IsVisibleAsync());
    }

    /// <summary>POSTs JSON with the page's sign-in cookie and returns the created resource's id.</summary>
    private static async Task<int> CreatedIdAsync(IPage page, string path, object body)
    {
        var response = await page.APIRequest.PostAsync(path, new() { DataObject = body, Headers = PageActions.ScriptHeaders });
        Assert.True(response.Status == 201, $"POST {path} answered {response.Status}: {await response.TextAsync()}");
        return (await response.JsonAsync())!.Value.GetProperty("id").GetInt32();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_importDirectory, recursive: true);
    }
}
