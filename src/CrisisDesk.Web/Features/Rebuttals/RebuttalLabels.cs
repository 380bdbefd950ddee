using CrisisDesk.Core.Rebuttals;

namespace CrisisDesk.Web.Features.Rebuttals;

/// <summary>Rebuttal channels and states in people's words, with what each means.</summary>
public static class RebuttalLabels
{
    public static string Channel(TextChannel channel) => channel switch
    {
        TextChannel.X => "X (Twitter)",
        TextChannel.Mastodon => "Mastodon",
        TextChannel.Bluesky => "Bluesky",
        TextChannel.Sms => "Text message (SMS)",
        TextChannel.WeaShort => "Wireless emergency alert, short",
        TextChannel.WeaLong => "Wireless emergency alert, long",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    public static string ChannelHelp(TextChannel channel) => channel switch
    {
        TextChannel.X => $"A post on X: {ChannelText.XLimit} weighted characters, a link counts {ChannelText.LinkLength}.",
        TextChannel.Mastodon => $"A Mastodon status: {ChannelText.MastodonLimit} characters, a link counts {ChannelText.LinkLength}.",
        TextChannel.Bluesky => $"A Bluesky post: {ChannelText.BlueskyLimit} graphemes.",
        TextChannel.Sms => $"Up to {ChannelText.SmsMaxSegments} SMS segments (160 plain characters in one, fewer with accents or emoji).",
        TextChannel.WeaShort => $"The {ChannelText.WeaShortLimit}-character text phones show first (WEA short).",
        TextChannel.WeaLong => $"The {ChannelText.WeaLongLimit}-character text phones show in full (WEA long).",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    public static string State(string state) => state switch
    {
        RebuttalRecord.Draft => "Draft",
        RebuttalRecord.Submitted => "Awaiting approval",
        RebuttalRecord.Approved => "Approved",
        RebuttalRecord.Rejected => "Rejected",
        RebuttalRecord.Published => "Published",
        _ => state,
    };

    public static string StateHelp(string state) => state switch
    {
        RebuttalRecord.Draft => "Being written; not yet sent for approval.",
        RebuttalRecord.Submitted => "Sent for approval: an Approver who wrote none of it decides.",
        RebuttalRecord.Approved => "Approved: ready to publish to the social channels.",
        RebuttalRecord.Rejected => "Sent back with a reason: change it and submit again.",
        RebuttalRecord.Published => "Queued for the social channels; see the delivery status.",
        _ => "",
    };

    /// <summary>Every state a rebuttal is stored in.</summary>
    public static IReadOnlyList<string> States { get; } =
        [RebuttalRecord.Draft, RebuttalRecord.Submitted, RebuttalRecord.Approved, RebuttalRecord.Rejected, RebuttalRecord.Published];
}
