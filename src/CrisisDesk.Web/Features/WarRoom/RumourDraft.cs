using CrisisDesk.Core.Rumours;

namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>A rumour being written from a flagged post or a story, before it is created (or linked to an open one).</summary>
public sealed class RumourDraft
{
    /// <summary>Longest claim the form offers from a post's first line; the person edits it down to one line.</summary>
    public const int ClaimFromPostChars = 200;

    public string Claim { get; set; } = "";
    public RumourSeverity Severity { get; set; } = RumourSeverity.Medium;
    public string Owner { get; set; } = "";
    public long[] PostIds { get; init; } = [];
    public long[] StoryIds { get; init; } = [];
    public int LinkTo { get; set; }

    /// <summary>A draft from a post: its first line as the claim, the person who flagged it as the owner.</summary>
    public static RumourDraft FromPost(long postId, string text, string owner)
    {
        var firstLine = text.Split('\n', 2)[0].Trim();
        return new RumourDraft { Claim = firstLine.Length > ClaimFromPostChars ? firstLine[..ClaimFromPostChars] : firstLine, Owner = owner, PostIds = [postId] };
    }

    /// <summary>A draft from a story: its sample text (shortened) as the claim.</summary>
    public static RumourDraft FromStory(long storyId, string sampleText, string owner) =>
        new() { Claim = sampleText.Length > 120 ? sampleText[..117] + "…" : sampleText, Owner = owner, StoryIds = [storyId] };
}
