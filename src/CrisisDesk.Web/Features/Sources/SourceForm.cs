using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>One X filtered-stream rule as the form edits it.</summary>
public sealed class RuleRow
{
    public string Value { get; set; } = "";
    public string Tag { get; set; } = "";
}

/// <summary>
/// What the Sources page's form holds, for every kind at once (only the chosen kind's fields are sent). It turns into
/// the same JSON configuration the HTTP API takes, so the page and scripts go through the same checks; numbers stay
/// text here, and a number that is not one gets the checker's message beside its field.
/// </summary>
public sealed class SourceForm
{
    public string Kind { get; set; } = SourceKinds.Rss;
    public string Name { get; set; } = "";

    // rss, atom, cap-feed
    public string Url { get; set; } = "";
    public string PollIntervalSeconds { get; set; } = "";

    // rss, atom, cap-feed, bluesky
    public string Keywords { get; set; } = "";

    // x, mastodon
    public string TokenSecret { get; set; } = "";

    // x
    public List<RuleRow> Rules { get; set; } = [new()];
    public bool Backfill { get; set; }
    public string BaseAddress { get; set; } = "";

    // mastodon
    public string Instance { get; set; } = "";
    public string Stream { get; set; } = "hashtag";
    public string Hashtag { get; set; } = "";

    // bluesky
    public string RewindSeconds { get; set; } = "";
    public string Endpoint { get; set; } = "";

    // replay
    public string File { get; set; } = "";
    public string Format { get; set; } = "";
    public string Speed { get; set; } = "";
    public string MaxGapSeconds { get; set; } = "";

    public bool IsFeed => SourceKinds.IsFeed(Kind);

    public JsonElement ToConfig()
    {
        var config = new JsonObject();
        switch (Kind)
        {
            case SourceKinds.Rss or SourceKinds.Atom or SourceKinds.CapFeed:
                Text(config, "url", Url);
                config["keywords"] = KeywordArray();
                Number(config, "pollIntervalSeconds", PollIntervalSeconds);
                break;
            case "x":
                Text(config, "tokenSecret", TokenSecret);
                config["rules"] = new JsonArray(Rules.Where(r => r.Value.Trim().Length > 0 || r.Tag.Trim().Length > 0)
                    .Select(r => (JsonNode)new JsonObject { ["value"] = r.Value.Trim(), ["tag"] = r.Tag.Trim().Length > 0 ? r.Tag.Trim() : null }).ToArray());
                config["backfill"] = Backfill;
                Text(config, "baseAddress", BaseAddress);
                break;
            case "mastodon":
                Text(config, "instance", Instance);
                Text(config, "tokenSecret", TokenSecret);
                Text(config, "stream", Stream);
                Text(config, "hashtag", Hashtag);
                break;
            case "bluesky":
                config["keywords"] = KeywordArray();
                Number(config, "rewindSeconds", RewindSeconds);
                Text(config, "endpoint", Endpoint);
                break;
            case SourceConfigValidator.Replay:
                Text(config, "file", File);
                Text(config, "format", Format);
                Number(config, "speed", Speed);
                Number(config, "maxGapSeconds", MaxGapSeconds);
                break;
        }
        return JsonSerializer.SerializeToElement(config);
    }

    /// <summary>The form filled from a stored source, for editing.</summary>
    public static SourceForm From(string kind, string name, JsonElement config)
    {
        string S(string property) => config.TryGetProperty(property, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number => v.GetDouble().ToString(CultureInfo.InvariantCulture),
            _ => "",
        } : "";
        var form = new SourceForm
        {
            Kind = kind,
            Name = name,
            Url = S("url"),
            PollIntervalSeconds = S("pollIntervalSeconds"),
            Keywords = config.TryGetProperty("keywords", out var k) && k.ValueKind == JsonValueKind.Array
                ? string.Join(", ", k.EnumerateArray().Select(e => e.GetString())) : "",
            TokenSecret = S("tokenSecret"),
            Backfill = config.TryGetProperty("backfill", out var b) && b.ValueKind == JsonValueKind.True,
            BaseAddress = S("baseAddress"),
            Instance = S("instance"),
            Stream = S("stream") is { Length: > 0 } stream ? stream : "hashtag",
            Hashtag = S("hashtag"),
            RewindSeconds = S("rewindSeconds"),
            Endpoint = S("endpoint"),
            File = S("file"),
            Format = S("format"),
            Speed = S("speed"),
            MaxGapSeconds = S("maxGapSeconds"),
        };
        if (config.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array)
        {
            form.Rules = rules.EnumerateArray().Select(r => new RuleRow
            {
                Value = r.TryGetProperty("value", out var v) ? v.GetString() ?? "" : "",
                Tag = r.TryGetProperty("tag", out var t) ? t.GetString() ?? "" : "",
            }).ToList();
        }
        if (form.Rules.Count == 0)
            form.Rules.Add(new RuleRow());
        return form;
    }

    /// <summary>A one-line account of where a source reads from, for the list.</summary>
    public static string Describe(string kind, JsonElement config)
    {
        string? S(string property) => config.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var keywords = config.TryGetProperty("keywords", out var k) && k.ValueKind == JsonValueKind.Array && k.GetArrayLength() > 0
            ? "keywords: " + string.Join(", ", k.EnumerateArray().Select(e => e.GetString()))
            : null;
        return kind switch
        {
            SourceKinds.Rss or SourceKinds.Atom => $"{S("url")} · {keywords ?? "every item"}",
            SourceKinds.CapFeed => $"{S("url")} · every alert",
            "x" => config.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array
                ? string.Join("; ", rules.EnumerateArray().Select(r => r.GetProperty("value").GetString() + (r.TryGetProperty("tag", out var tag) ? $" [{tag.GetString()}]" : "")))
                : "",
            "mastodon" => $"{S("instance")} · {(S("stream") == "public" ? "public stream" : "#" + S("hashtag"))}",
            "bluesky" => $"Jetstream · {keywords ?? "every post"}",
            SourceConfigValidator.Replay => $"{S("file")} ({S("format")})",
            _ => config.ToString(),
        };
    }

    private JsonArray KeywordArray() =>
        new(Keywords.Split([',', '\n'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());

    private static void Text(JsonObject config, string name, string value)
    {
        if (!string.IsNullOrWhiteSpace(value))
            config[name] = value.Trim();
    }

    /// <summary>A number when it reads as one; otherwise the text as typed, so the checker can say what is wrong.</summary>
    private static void Number(JsonObject config, string name, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return;
        config[name] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonValue.Create(number)
            : JsonValue.Create(value.Trim());
    }
}
