using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Rebuttals;

namespace CrisisDesk.ComponentTests.Rebuttals;

public sealed class VersionListTests : ComponentTest
{
    [Fact]
    public void Each_version_shows_its_number_author_time_note_and_texts_newest_first()
    {
        IReadOnlyList<RebuttalVersion> versions =
        [
            new(2, new Dictionary<TextChannel, string> { [TextChannel.X] = "The dam has NOT failed.", [TextChannel.WeaShort] = "Dam intact." }, "op.two", new DateTime(2026, 12, 4, 9, 30, 0, DateTimeKind.Utc), "added the alert text"),
            new(1, new Dictionary<TextChannel, string> { [TextChannel.X] = "The dam has not failed." }, "op.one", new DateTime(2026, 12, 4, 9, 10, 0, DateTimeKind.Utc), null),
        ];

        var list = Context.Render<VersionList>(p => p.Add(l => l.Versions, versions).Add(l => l.Current, 2));

        var items = list.FindAll("[data-testid=version-item]");
        Assert.Equal(2, items.Count);
        Assert.Contains("Version 2 (current)", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("saved by op.two, 4 Dec 09:30 UTC · added the alert text", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Wireless emergency alert, short: Dam intact.", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Version 1", items[1].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("(current)", items[1].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("v@", list.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("WeaShort", list.Markup.Replace("data-testid", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void The_diff_marks_removed_and_added_words_per_changed_channel()
    {
        var before = new Dictionary<TextChannel, string> { [TextChannel.X] = "The dam has not failed.", [TextChannel.Bluesky] = "Same." };
        var after = new Dictionary<TextChannel, string> { [TextChannel.X] = "The dam has NOT failed. Engineers are on site.", [TextChannel.Bluesky] = "Same." };

        var diff = Context.Render<VariantDiff>(p => p.Add(d => d.Before, before).Add(d => d.BeforeVersion, 1).Add(d => d.After, after));

        var x = diff.Find("[data-testid=diff-X]");
        Assert.Equal("not", x.QuerySelector("del")!.TextContent);
        Assert.Contains("NOT", x.QuerySelector("ins")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Engineers are on site.", string.Concat(x.QuerySelectorAll("ins").Select(i => i.TextContent)), StringComparison.Ordinal);
        Assert.Empty(diff.FindAll("[data-testid=diff-Bluesky]"));
    }

    [Fact]
    public void A_word_diff_rebuilds_both_texts()
    {
        var parts = TextDiff.Words("Roads closed near the river", "Roads open near the old river");

        Assert.Equal("Roads closed near the river", string.Concat(parts.Where(p => p.Kind != DiffKind.Added).Select(p => p.Text)));
        Assert.Equal("Roads open near the old river", string.Concat(parts.Where(p => p.Kind != DiffKind.Removed).Select(p => p.Text)));
        Assert.Contains(parts, p => p is { Kind: DiffKind.Removed, Text: "closed" });
        Assert.Contains(parts, p => p is { Kind: DiffKind.Added, Text: "open" });
    }
}
