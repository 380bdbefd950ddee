using CrisisDesk.Core.Rumours;

namespace CrisisDesk.UnitTests.Rumours;

public class RumourLifecycleTests
{
    [Theory]
    [InlineData(RumourStatus.New, RumourStatus.Investigating)]
    [InlineData(RumourStatus.Investigating, RumourStatus.ConfirmedFalse)]
    [InlineData(RumourStatus.Investigating, RumourStatus.ConfirmedTrue)]
    [InlineData(RumourStatus.Investigating, RumourStatus.Unverified)]
    [InlineData(RumourStatus.ConfirmedFalse, RumourStatus.Resolved)]
    [InlineData(RumourStatus.Unverified, RumourStatus.Resolved)]
    [InlineData(RumourStatus.Resolved, RumourStatus.Investigating)]
    public void The_lifecycle_allows_its_steps(RumourStatus from, RumourStatus to) => Assert.True(RumourLifecycle.CanMove(from, to));

    [Theory]
    [InlineData(RumourStatus.New, RumourStatus.Resolved)]
    [InlineData(RumourStatus.New, RumourStatus.ConfirmedFalse)]
    [InlineData(RumourStatus.Investigating, RumourStatus.Resolved)]
    [InlineData(RumourStatus.Investigating, RumourStatus.Investigating)]
    [InlineData(RumourStatus.Resolved, RumourStatus.New)]
    public void The_lifecycle_refuses_skipping_steps(RumourStatus from, RumourStatus to) => Assert.False(RumourLifecycle.CanMove(from, to));

    [Fact]
    public void Only_known_names_parse()
    {
        Assert.True(RumourLifecycle.TryParse("ConfirmedFalse", out var status));
        Assert.Equal(RumourStatus.ConfirmedFalse, status);
        Assert.False(RumourLifecycle.TryParse("confirmed false", out _));
        Assert.False(RumourLifecycle.TryParse("7", out _));
        Assert.False(RumourLifecycle.TryParse(null, out _));
    }
}
