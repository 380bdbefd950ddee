using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.UnitTests.WarRoom;

public sealed class IncidentClockTests
{
    private static readonly DateTime NewestPost = new(2015, 3, 24, 11, 20, 0, DateTimeKind.Utc);
    private static readonly DateTimeOffset WallClock = new(2026, 12, 4, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_drill_or_replay_runs_on_its_newest_post_so_last_15_minutes_are_the_replay_s_last_15()
    {
        Assert.Equal(NewestPost, IncidentClock.Now(onEventTime: true, NewestPost, WallClock));
        Assert.Equal(DateTimeKind.Utc, IncidentClock.Now(true, DateTime.SpecifyKind(NewestPost, DateTimeKind.Unspecified), WallClock).Kind);
    }

    [Fact]
    public void A_live_incident_runs_on_the_wall_clock_even_when_its_last_post_is_older()
    {
        Assert.Equal(WallClock.UtcDateTime, IncidentClock.Now(onEventTime: false, NewestPost, WallClock));
    }

    [Fact]
    public void A_drill_with_no_post_yet_falls_back_to_the_wall_clock()
    {
        Assert.Equal(WallClock.UtcDateTime, IncidentClock.Now(onEventTime: true, null, WallClock));
    }
}
