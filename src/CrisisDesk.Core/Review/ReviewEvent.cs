using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CrisisDesk.Core.Review;

/// <summary>One event of the log as review reads it: the payload kept as parsed JSON.</summary>
public sealed record ReviewEvent(long Seq, DateTimeOffset At, string Actor, string Action, int? IncidentId, JsonElement Payload)
{
    public static ReviewEvent Parse(long seq, DateTimeOffset at, string actor, string action, int? incidentId, string payloadJson)
    {
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(payloadJson) ? "{}" : payloadJson);
        return new ReviewEvent(seq, at, actor, action, incidentId, document.RootElement.Clone());
    }

    /// <summary>The noun of <c>noun.verb-ed</c>: what the event is about.</summary>
    public string Noun => Action.Split('.', 2)[0];

    /// <summary>The verb of <c>noun.verb-ed</c>: what happened to it.</summary>
    public string Verb => Action.Split('.', 2) is [_, var verb] ? verb : Action;

    /// <summary>A payload property as text (numbers and booleans as written), or null when absent or null.</summary>
    public string? Text(string name) =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty(name, out var value) ? ScalarText(value) : null;

    /// <summary>A payload property that is an array of numbers (post ids, story ids), or empty.</summary>
    public IReadOnlyList<long> Numbers(string name)
    {
        if (Payload.ValueKind != JsonValueKind.Object || !Payload.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array)
            return [];
        var numbers = new List<long>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out var n))
                numbers.Add(n);
            else if (item.ValueKind == JsonValueKind.String && long.TryParse(item.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n))
                numbers.Add(n);
        }
        return numbers;
    }

    /// <summary>
    /// The payload in one short line (<c>key: value, …</c>), for any event, known or not: how replay and reports show
    /// events whose type they have no special view for.
    /// </summary>
    public string PayloadSummary(int maxLength = 160)
    {
        if (Payload.ValueKind != JsonValueKind.Object)
            return Truncate(Payload.ToString(), maxLength);
        var summary = new StringBuilder();
        foreach (var property in Payload.EnumerateObject())
        {
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.Array => $"[{string.Join(", ", property.Value.EnumerateArray().Take(5).Select(v => ScalarText(v) ?? "…"))}{(property.Value.GetArrayLength() > 5 ? ", …" : "")}]",
                JsonValueKind.Object => "{…}",
                _ => ScalarText(property.Value),
            };
            if (text is null)
                continue;
            if (summary.Length > 0)
                summary.Append(", ");
            summary.Append(property.Name).Append(": ").Append(text);
        }
        return Truncate(summary.ToString(), maxLength);
    }

    /// <summary>"actor action at time: payload" — the generic rendering of any event.</summary>
    public string Describe() =>
        $"{At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC · {Actor} · {Action}" +
        (PayloadSummary() is { Length: > 0 } payload ? $" · {payload}" : "");

    private static string? ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    private static string Truncate(string text, int maxLength) => text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength - 1), "…");
}
