using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.UnitTests.WarRoom;

public sealed class VolumeSeriesTests
{
    private static readonly DateTime Start = new(2015, 3, 24, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Live_posts_add_to_their_minute_and_the_window_keeps_sixty_minutes_with_zeros()
    {
        var series = new VolumeSeries([new VolumeChartMinute(Start, 3)]);

        series.Add([Stored(Start.AddSeconds(30)), Stored(Start.AddMinutes(2).AddSeconds(5))]);
        var minutes = series.Minutes();

        Assert.Equal(WarRoomQueries.VolumeMinutes, minutes.Count);
        Assert.Equal(Start.AddMinutes(2), minutes[^1].Minute);
        Assert.Equal(1, minutes[^1].Count);
        Assert.Equal(0, minutes[^2].Count);
        Assert.Equal(4, minutes[^3].Count);
    }

    [Fact]
    public void Minutes_older_than_the_window_fall_out()
    {
        var series = new VolumeSeries([new VolumeChartMinute(Start, 7)]);

        series.Add([Stored(Start.AddMinutes(90))]);

        Assert.DoesNotContain(series.Minutes(), m => m.Count == 7);
        Assert.Equal(1, series.Minutes().Sum(m => m.Count));
    }

    [Fact]
    public void On_the_wall_clock_the_window_ends_now_and_an_hour_old_minute_has_left_it()
    {
        var series = new VolumeSeries([new VolumeChartMinute(Start, 7), new VolumeChartMinute(Start.AddMinutes(30), 2)]);

        var minutes = series.Minutes(now: Start.AddMinutes(75).AddSeconds(20));

        Assert.Equal(WarRoomQueries.VolumeMinutes, minutes.Count);
        Assert.Equal(Start.AddMinutes(75), minutes[^1].Minute);
        Assert.Equal(2, minutes.Sum(m => m.Count));
    }

    private static Core.Posts.StoredPost Stored(DateTime at) => new(1, 1, 1, DateTimeOffset.UtcNow,
        new Core.Posts.Post { Platform = "x", ExternalId = at.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), CreatedAt = at, Text = "t" });
}
