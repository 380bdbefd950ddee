using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Posts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.TestSupport;
using CrisisDesk.Web.Features.Triage;
using CrisisDesk.Web.Features.WarRoom;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.IntegrationTests.Triage;

/// <summary>What the war room reads in a drill: official sources by the platform's verified mark, windows on the incident's clock, texts cut to what a page shows.</summary>
public sealed class WarRoomReadsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly DateTimeOffset Crash = new(2015, 3, 24, 10, 41, 0, TimeSpan.Zero);

    private IDbContextFactory<CrisisDeskDbContext> Contexts { get; } = CrisisDeskDbContext.FactoryOver(database.DataSource);

    private TriageQueries Triage => new(database.DataSource, Contexts);

    private WarRoomQueries WarRoom => new(database.DataSource, Contexts);

    [Fact]
    public async Task Posts_of_accounts_the_platform_verified_count_as_official_and_as_media_beside_news_items()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Official", "replay");
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId,
        [
            Tweet("1", "AFP", "AFP", verified: true, "Germanwings A320 crashes in the French Alps"),
            Tweet("2", "SkyNews", "Sky News", verified: true, "Sky sources: no survivors expected"),
            Tweet("3", "someone", "Some One", verified: false, "I heard it was a bomb"),
            new Post { Platform = "news", ExternalId = "n1", CreatedAt = Crash, AuthorName = "Wessex Evening News", Text = "Plane down in the Alps" },
        ], [], null, null));

        var official = await Triage.PageAsync(incidentId, new TriageFilter(OfficialOnly: true), long.MaxValue, 0, 10);
        var media = await Triage.MediaAsync(incidentId, 10);

        Assert.Equal([null, "AFP", "SkyNews"], official.Select(p => p.AuthorHandle).Order());
        Assert.Equal(3, (await Triage.HeadAsync(incidentId, new TriageFilter(OfficialOnly: true))).Count);
        Assert.Equal(["AFP", "Sky News", "Wessex Evening News"], media.Select(m => m.Outlet).Order());
    }

    [Fact]
    public async Task Last_15_minutes_of_a_drill_are_the_15_before_its_newest_post_and_empty_on_today_s_clock()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Window", "replay");
        await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId,
        [
            Tweet("w1", "a", "A", false, "early", Crash),
            Tweet("w2", "b", "B", false, "twenty minutes later", Crash.AddMinutes(20)),
            Tweet("w3", "c", "C", false, "thirty minutes later", Crash.AddMinutes(30)),
        ], [], null, null));
        var incident = await WarRoom.IncidentAsync(incidentId);
        var newest = await WarRoom.NewestEventTimeAsync(incidentId);

        var drillNow = IncidentClock.Now(incident!.OnEventTime, newest, DateTimeOffset.UtcNow);
        var onDrillClock = await Triage.HeadAsync(incidentId, new TriageFilter(WindowMinutes: 15, WindowEnd: drillNow));
        var onWallClock = await Triage.HeadAsync(incidentId, new TriageFilter(WindowMinutes: 15, WindowEnd: DateTimeOffset.UtcNow.UtcDateTime));

        Assert.True(incident.OnEventTime);
        Assert.Equal(Crash.AddMinutes(30).UtcDateTime, drillNow);
        Assert.Equal(2, onDrillClock.Count);
        Assert.Equal(0, onWallClock.Count);
    }

    [Fact]
    public async Task An_incident_with_a_live_source_runs_on_the_wall_clock()
    {
        var (incidentId, _) = await database.NewIncidentAsync("Live", "replay");
        Assert.True((await WarRoom.IncidentAsync(incidentId))!.OnEventTime);

        await database.NewSourceAsync(incidentId, "mastodon", "Live Mastodon");

        Assert.False((await WarRoom.IncidentAsync(incidentId))!.OnEventTime);
    }

    [Fact]
    public async Task A_five_megabyte_post_is_read_cut_to_what_the_card_and_the_drawer_show_with_its_whole_length()
    {
        var (incidentId, sourceId) = await database.NewIncidentAsync("Huge");
        var huge = new string('z', 5 * 1024 * 1024);
        var stored = await new PostWriter(database.DataSource).WriteAsync(new PostBatch(incidentId, sourceId,
            [new Post { Platform = "mastodon", ExternalId = "big", CreatedAt = Crash, Text = huge }], [], null, null));

        var card = (await Triage.PageAsync(incidentId, TriageFilter.None, long.MaxValue, 0, 1)).Single();
        var drawer = await Triage.PostAsync(stored[0].Id);

        Assert.Equal(PostText.CardRead, card.Text.Length);
        Assert.Equal(huge.Length, card.TextLength);
        Assert.Equal(PostText.DrawerRead, drawer!.Text.Length);
        Assert.Equal(huge.Length, drawer.TextLength);
    }

    [Fact]
    public async Task The_stories_panel_lists_the_incident_s_stories_of_more_than_one_post_fastest_growing_then_largest()
    {
        var (incidentId, _) = await database.NewIncidentAsync("Stories");
        var (otherIncidentId, _) = await database.NewIncidentAsync("Other stories");
        // Ids far above what stories_id_seq hands the pipeline in this database.
        var first = 1_000_000_000L + incidentId * 10L;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO stories (id, incident_id, size, first_post_id, first_post_at, latest_post_at, growth_per_minute, sample_text)
                VALUES (@first,     @incidentId, 5,  1, @at, @at + interval '5 minutes', 2.0,  'Bridge closed'),
                       (@first + 1, @incidentId, 9,  2, @at, @at + interval '9 minutes', 2.0,  'Bridge collapsed'),
                       (@first + 2, @incidentId, 1,  3, @at, @at,                        10.0, 'A single post'),
                       (@first + 3, @incidentId, 3,  4, @at, @at + interval '3 minutes', 0.5,  'Ferry late'),
                       (@first + 4, @otherIncidentId, 50, 5, @at, @at, 99.0, 'Another incident')
                """, new { first, incidentId, otherIncidentId, at = Crash.UtcDateTime });
        }

        var top = await Triage.TopStoriesAsync(incidentId, 10);
        var topTwo = await Triage.TopStoriesAsync(incidentId, 2);
        var story = await Triage.StoryAsync(first + 3);

        Assert.Equal([first + 1, first, first + 3], top.Select(s => s.Id));
        Assert.Equal([first + 1, first], topTwo.Select(s => s.Id));
        Assert.Equal(new StoryRow(first + 3, 3, Crash.UtcDateTime, Crash.AddMinutes(3).UtcDateTime, 0.5, "Ferry late"), story);
        Assert.Null(await Triage.StoryAsync(first + 9));
    }

    private static Post Tweet(string id, string handle, string name, bool verified, string text, DateTimeOffset? at = null)
    {
        var json = JsonSerializer.Serialize(new
        {
            id_str = id,
            created_at = (at ?? Crash).ToString("ddd MMM dd HH:mm:ss +0000 yyyy", System.Globalization.CultureInfo.InvariantCulture),
            text,
            user = new { screen_name = handle, name, verified },
        });
        return XV1TweetFormat.Normalise(JsonDocument.Parse(json).RootElement).Post!;
    }
}
