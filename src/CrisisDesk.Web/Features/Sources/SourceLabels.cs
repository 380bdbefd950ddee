using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>How a source's state reads at a glance, with its colour and the detail (the last error) to read beside it.</summary>
public sealed record SourceStateLabel(string Label, string? Detail, SourceStateTone Tone);

/// <summary>Green for working, amber for waiting on the platform, red for needing a person, grey for off.</summary>
public enum SourceStateTone { Working, Waiting, Broken, Off }

/// <summary>Source kinds and states in people's words (the page shows these; the API keeps the codes).</summary>
public static class SourceLabels
{
    public static string Kind(string kind) => kind switch
    {
        SourceKinds.Rss => "News feed (RSS)",
        SourceKinds.Atom => "News feed (Atom)",
        SourceKinds.CapFeed => "Another agency's CAP alerts",
        SourceKinds.X => "X (filtered stream)",
        SourceKinds.Mastodon => "Mastodon",
        SourceKinds.Bluesky => "Bluesky",
        SourceKinds.Replay => "Replay of a file",
        _ => kind,
    };

    /// <summary>One line under the kind in the "Add a source" menu: what the kind reads.</summary>
    public static string KindHelp(string kind) => kind switch
    {
        SourceKinds.Rss or SourceKinds.Atom => "Polls a newsroom's feed and keeps the items that mention your keywords.",
        SourceKinds.CapFeed => "Polls another agency's Common Alerting Protocol index and keeps every alert.",
        SourceKinds.X => "X's filtered stream: posts matching your rules arrive as they are written.",
        SourceKinds.Mastodon => "One hashtag, or everything an instance sees, as it is posted.",
        SourceKinds.Bluesky => "Bluesky's public firehose (Jetstream), kept where it mentions your keywords.",
        SourceKinds.Replay => "Plays a recorded file back, for drills and reviews.",
        _ => "",
    };

    public static SourceStateLabel State(SourceView source)
    {
        if (!Enum.TryParse<SourceState>(source.State, out var state))
            return new SourceStateLabel(source.State, source.Detail, SourceStateTone.Off);
        return state switch
        {
            SourceState.Connected => new SourceStateLabel("Running", null, SourceStateTone.Working),
            SourceState.Starting => new SourceStateLabel("Starting", null, SourceStateTone.Waiting),
            // StateText carries the countdown ("reconnecting in 12 s") and the reset time ("rate-limited until 14:05:00 UTC").
            SourceState.Reconnecting => new SourceStateLabel("Reconnecting", Sentence(source.StateText), SourceStateTone.Waiting),
            SourceState.RateLimited => new SourceStateLabel("Paused by the platform's rate limit", Sentence(source.StateText), SourceStateTone.Waiting),
            SourceState.Completed => new SourceStateLabel("Finished", "Every item in it has been read.", SourceStateTone.Off),
            SourceState.Degraded => new SourceStateLabel("Running, with a problem", Sentence(source.Detail ?? source.StateText), SourceStateTone.Waiting),
            SourceState.Failed => new SourceStateLabel("Failed", string.IsNullOrWhiteSpace(source.Detail) ? "No reason was given; test it to see what it answers." : source.Detail, SourceStateTone.Broken),
            _ => new SourceStateLabel("Stopped", null, SourceStateTone.Off),
        };
    }

    private static string Sentence(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + ".";
}
