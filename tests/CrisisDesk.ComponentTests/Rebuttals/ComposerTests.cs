using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Rebuttals;

namespace CrisisDesk.ComponentTests.Rebuttals;

public sealed class ComposerTests : ComponentTest
{
    private static Dictionary<TextChannel, string> Texts(params (TextChannel Channel, string Text)[] texts)
    {
        var variants = Enum.GetValues<TextChannel>().ToDictionary(c => c, _ => "");
        foreach (var (channel, text) in texts)
            variants[channel] = text;
        return variants;
    }

    [Fact]
    public void A_text_too_long_for_its_channel_is_said_next_to_that_text_only()
    {
        var variants = Texts((TextChannel.X, new string('a', 290)), (TextChannel.Bluesky, "The dam is intact."));

        var editors = Context.Render<VariantEditors>(p => p.Add(e => e.Variants, variants));

        var x = editors.Find("[data-testid=variant-X]");
        Assert.Contains("Too long for its channel: X (Twitter) takes 280 weighted characters, this is 290.", x.QuerySelector("[data-testid=variant-problem-X]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("too long by 10", x.TextContent, StringComparison.Ordinal);
        Assert.Null(editors.Find("[data-testid=variant-Bluesky]").QuerySelector("[role=alert]"));
        Assert.Single(editors.FindAll("[data-testid^=variant-problem-]"));
        Assert.False(VariantEditors.AllFit(variants));
    }

    [Fact]
    public void Typing_updates_the_counter_and_clears_the_message_once_the_text_fits()
    {
        var variants = Texts((TextChannel.WeaShort, new string('b', 95)));
        var editors = Context.Render<VariantEditors>(p => p.Add(e => e.Variants, variants));
        Assert.NotNull(editors.Find("[data-testid=variant-problem-WeaShort]"));

        editors.Find("#variant-WeaShort").Input("Leave Lower Town by the A59 now.");

        Assert.Equal("Leave Lower Town by the A59 now.", variants[TextChannel.WeaShort]);
        Assert.Contains("32 / 90 characters", editors.Find("[data-testid=counter-WeaShort]").TextContent, StringComparison.Ordinal);
        Assert.Empty(editors.FindAll("[data-testid^=variant-problem-]"));
        Assert.True(VariantEditors.AllFit(variants));
    }

    [Fact]
    public void Too_many_sms_segments_are_said_in_segments()
    {
        var editors = Context.Render<VariantEditors>(p => p.Add(e => e.Variants, Texts((TextChannel.Sms, new string('c', 153 * 3 + 1)))));

        Assert.Contains("in at most 3 segments (this is 4)", editors.Find("[data-testid=variant-problem-Sms]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_channel_has_a_label_in_peoples_words_and_a_help_text()
    {
        foreach (var channel in Enum.GetValues<TextChannel>())
        {
            var label = RebuttalLabels.Channel(channel);
            Assert.DoesNotContain("Wea", label, StringComparison.Ordinal);
            Assert.NotEqual(channel.ToString(), label == "Mastodon" || label == "Bluesky" ? "" : label);
            Assert.False(string.IsNullOrWhiteSpace(RebuttalLabels.ChannelHelp(channel)));
        }
        var editors = Context.Render<VariantEditors>(p => p.Add(e => e.Variants, Texts()));
        Assert.DoesNotContain("WeaShort", editors.Find("label[for=variant-WeaShort]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_rebuttal_state_has_a_label_and_an_explanation()
    {
        Assert.Equal(["Draft", "Awaiting approval", "Approved", "Rejected", "Published"], RebuttalLabels.States.Select(RebuttalLabels.State).ToArray());
        Assert.All(RebuttalLabels.States, s => Assert.False(string.IsNullOrWhiteSpace(RebuttalLabels.StateHelp(s))));
    }
}
