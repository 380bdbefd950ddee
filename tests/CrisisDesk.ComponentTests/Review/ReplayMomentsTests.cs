using System.Globalization;
using CrisisDesk.Core.Review;
using CrisisDesk.Web.Features.Review;

namespace CrisisDesk.ComponentTests.Review;

public sealed class ReplayMomentsTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2015-03-24T13:55:20Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset End = DateTimeOffset.Parse("2015-03-25T02:10:00Z", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("14:32", "2015-03-24T14:32:00Z")]
    [InlineData("14:32:10 UTC", "2015-03-24T14:32:10Z")]
    [InlineData("01:05", "2015-03-25T01:05:00Z")]
    [InlineData("13:55", "2015-03-24T13:55:20Z")]
    [InlineData("2015-03-24T20:00:00Z", "2015-03-24T20:00:00Z")]
    public void A_time_of_day_means_its_first_moment_within_the_incident(string typed, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), ReplayMoments.Parse(typed, Start, End));

    [Theory]
    [InlineData("03:00")]
    [InlineData("half past two")]
    [InlineData("")]
    [InlineData("2016-01-01T00:00:00Z")]
    public void A_time_outside_the_incident_or_not_a_time_is_refused(string typed) =>
        Assert.Null(ReplayMoments.Parse(typed, Start, End));

    [Fact]
    public void The_chart_counts_only_what_had_arrived_by_the_moment_shown()
    {
        var from = DateTimeOffset.Parse("2026-01-01T09:00:00Z", CultureInfo.InvariantCulture);
        VolumeMinute[] minutes = [new(from, 3), new(from.AddMinutes(1), 5), new(from.AddMinutes(9), 7)];

        var (labels, counts, bucket) = ReplayMoments.Volume(minutes, from, from.AddMinutes(10), from.AddMinutes(5));

        Assert.Equal(1, bucket);
        Assert.Equal(10, counts.Length);
        Assert.Equal("09:00", labels[0]);
        Assert.Equal([3d, 5d, 0, 0, 0, 0, 0, 0, 0, 0], counts);
    }

    [Fact]
    public void A_long_incident_is_drawn_in_at_most_sixty_bars()
    {
        var from = DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture);
        var (labels, counts, bucket) = ReplayMoments.Volume([new(from.AddHours(5), 2)], from, from.AddHours(12), from.AddHours(12));

        Assert.Equal(12, bucket);
        Assert.True(counts.Length <= ReplayMoments.MaxBars);
        Assert.Equal(labels.Length, counts.Length);
        Assert.Equal(2, counts.Sum());
    }
}
