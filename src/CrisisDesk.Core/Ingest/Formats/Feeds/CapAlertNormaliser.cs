using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// <c>cap.alert</c>: another agency's CAP document becomes an official-alert post (platform <c>cap</c>) showing its
/// headline, severity, area and expiry. Its id is "sender,identifier", as CAP's own references name an alert.
/// </summary>
public sealed class CapAlertNormaliser : IPostNormaliser
{
    public string Format => FeedFormats.CapAlert;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        CapAlertSummary alert;
        try
        {
            alert = CapAlertReader.Read(payload);
        }
        catch (FeedFormatException ex)
        {
            return NormaliseResult.Malformed(ex.Message);
        }

        if (!FeedDates.TryParse(alert.Sent, out var sent))
        {
            return NormaliseResult.Malformed($"CAP alert '{alert.Identifier}' has an unreadable sent time '{alert.Sent}'");
        }

        // Several info blocks are translations (or audiences) of one alert: show the English one if any, else the first.
        var info = alert.Infos.FirstOrDefault(i => i.Language is null || i.Language.StartsWith("en", StringComparison.OrdinalIgnoreCase))
            ?? alert.Infos.FirstOrDefault();
        var headline = info?.Headline ?? info?.Event ?? $"{alert.MsgType ?? "Alert"} from {alert.Sender}";
        var description = HtmlText.ToPlainText(info?.Description);
        var text = description.Length == 0 ? headline : headline + "\n\n" + description;
        if (info is null && alert.Note is not null)
        {
            text = headline + "\n\n" + alert.Note;
        }

        var areaDesc = info is null ? null : string.Join("; ", info.AreaDescs.Distinct(StringComparer.Ordinal));
        return NormaliseResult.Ok(new Post
        {
            Platform = "cap",
            ExternalId = alert.Sender + "," + alert.Identifier,
            CreatedAt = sent,
            AuthorHandle = alert.Sender,
            AuthorName = info?.SenderName ?? alert.Sender,
            Text = text,
            Url = info?.Web,
            Language = info?.Language,
            Extra = Extra(alert, info, headline, string.IsNullOrEmpty(areaDesc) ? null : areaDesc),
        });
    }

    private static string Extra(CapAlertSummary alert, CapInfoSummary? info, string headline, string? areaDesc)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", "official-alert");
            json.WriteString("headline", headline);
            json.WriteString("severity", info?.Severity);
            json.WriteString("urgency", info?.Urgency);
            json.WriteString("certainty", info?.Certainty);
            json.WriteString("areaDesc", areaDesc);
            json.WriteString("expires", FeedDates.TryParse(info?.Expires, out var expires) ? expires.ToString("O") : info?.Expires);
            json.WriteString("sender", alert.Sender);
            json.WriteString("identifier", alert.Identifier);
            json.WriteString("event", info?.Event);
            json.WriteString("msgType", alert.MsgType);
            json.WriteString("status", alert.Status);
            // The areas as the agency drew them, for the war room's map; the box of those that are valid CAP, for the index.
            var polygons = (info?.Polygons ?? []).Select(text => CapPolygon.TryParse(text, out var p) ? p : null).OfType<CapPolygon>()
                .Where(p => CapShapes.PolygonProblem(p) is null).ToList();
            var circles = (info?.Circles ?? []).Select(text => CapCircle.TryParse(text, out var c) ? c : null).OfType<CapCircle>()
                .Where(c => CapShapes.CircleProblem(c) is null).ToList();
            json.WriteStartArray("polygons");
            foreach (var polygon in polygons)
            {
                json.WriteStringValue(polygon.ToString());
            }
            json.WriteEndArray();
            json.WriteStartArray("circles");
            foreach (var circle in circles)
            {
                json.WriteStringValue(circle.ToString());
            }
            json.WriteEndArray();
            PostPlace.Write(json, PostPlace.Of(polygons, circles), "area");
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
