using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Rebuttals;

namespace CrisisDesk.Web.Features.Publishing;

/// <summary>What an alert says on a social channel: a short, fitted post that links to the full CAP message.</summary>
public static class SocialText
{
    public const string ExercisePrefix = "[EXERCISE] ";

    public static string ForAlert(CapAlert alert, Uri alertUrl, TextChannel channel)
    {
        var info = alert.Infos.Count > 0 ? alert.Infos[0] : null;
        var prefix = (alert.Status == CapStatus.Actual ? "" : "[" + alert.Status.ToString().ToUpperInvariant() + "] ")
            + alert.MsgType switch { CapMsgType.Update => "UPDATE: ", CapMsgType.Cancel => "CANCELLED: ", _ => "" };
        var headline = info?.Headline ?? info?.Event ?? "Alert";
        var shortText = info?.Parameters.FirstOrDefault(p => p.ValueName == CapParameters.WeaShortText)?.Value ?? info?.Instruction ?? "";
        var body = (headline + (shortText.Length > 0 ? ". " + shortText : "")).Trim();
        return Fit(prefix, body, " " + alertUrl, channel);
    }

    /// <summary>A rebuttal's text as drafted, marked when the incident is a drill.</summary>
    public static string ForRebuttal(string variant, bool isDrill) => isDrill ? ExercisePrefix + variant : variant;

    /// <summary>Shortens the body (never the prefix or link) until the whole post fits the channel.</summary>
    public static string Fit(string prefix, string body, string suffix, TextChannel channel)
    {
        var text = prefix + body + suffix;
        if (ChannelText.Count(channel, text).Fits)
            return text;
        var elements = System.Globalization.StringInfo.ParseCombiningCharacters(body);
        for (var keep = elements.Length - 1; keep > 0; keep--)
        {
            text = prefix + body[..elements[keep]].TrimEnd() + "…" + suffix;
            if (ChannelText.Count(channel, text).Fits)
                return text;
        }
        return prefix + suffix.Trim();
    }
}

/// <summary>The CAP parameter names we write for wireless emergency alert texts (the US IPAWS profile names).</summary>
public static class CapParameters
{
    public const string WeaShortText = "CMAMtext";
    public const string WeaLongText = "CMAMlongtext";
}
