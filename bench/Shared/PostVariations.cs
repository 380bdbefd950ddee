namespace CrisisDesk.Bench.Shared;

/// <summary>How the benches make many realistic posts from the drill's few real ones (linked into each from bench/Shared).</summary>
internal static class PostVariations
{
    /// <summary>The kinds of variation a story's repeats show in a live stream: retweets, added tags, links, edits.</summary>
    public static string Vary(string text, string otherHandle, int round, int index) => (round % 5) switch
    {
        0 => text,
        1 => $"RT @{otherHandle}: {text}",
        2 => $"{text} #Germanwings #4U9525",
        3 => $"{text} http://t.co/{(uint)HashCode.Combine(index, round):x8}",
        _ => $"{text} (update {round})",
    };
}
