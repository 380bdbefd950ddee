using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.WarRoom;

namespace CrisisDesk.UnitTests.WarRoom;

public sealed class WarRoomLabelsTests
{
    [Fact]
    public void Every_source_state_has_words_and_none_is_the_enum_name_run_together()
    {
        foreach (var state in Enum.GetValues<SourceState>())
        {
            var label = WarRoomLabels.SourceState(state);
            Assert.NotEqual("Unknown", label);
            Assert.DoesNotMatch("[a-z][A-Z]", label); // "RateLimited" would be the code's name, not words
        }
    }

    [Fact]
    public void Every_severity_has_a_label_and_a_tooltip()
    {
        foreach (var severity in Enum.GetValues<RumourSeverity>())
        {
            Assert.NotEqual("Unknown", WarRoomLabels.Severity(severity));
            Assert.NotEmpty(WarRoomLabels.SeverityHelp(severity));
        }
    }

    [Fact]
    public void Every_known_platform_has_a_name_and_a_chip_and_an_unknown_one_is_not_shown_raw()
    {
        foreach (var platform in WarRoomLabels.KnownPlatforms)
        {
            Assert.NotEqual("Other source", WarRoomLabels.Platform(platform));
            Assert.NotEqual("Other", WarRoomLabels.PlatformChip(platform));
        }
        Assert.Equal("Other source", WarRoomLabels.Platform("internal_kind_42"));
        Assert.Equal("News and feeds", WarRoomLabels.Platform("news"));
        Assert.Equal("Agency alerts (CAP)", WarRoomLabels.Platform("cap"));
    }

    [Theory]
    [InlineData("de", "German")]
    [InlineData("en", "English")]
    [InlineData("qq-not-a-language", "qq-not-a-language")]
    public void Languages_show_their_english_name_or_the_code_when_unknown(string code, string label)
    {
        Assert.Equal(label, WarRoomLabels.Language(code));
    }
}
