using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.Feeds;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>
/// A source configuration checked field by field. <see cref="Json"/> is rebuilt from the known fields only, so a stray
/// field (a pasted token, say) is never stored; <see cref="Errors"/> maps a field path (<c>url</c>, <c>rules[1].value</c>)
/// to what is wrong with it.
/// </summary>
public sealed record ValidatedSourceConfig(string Kind, string Json, IReadOnlyDictionary<string, string> Errors, string? SecretName)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Checks a source's kind, name and JSON configuration before anything is stored or started, with one clear message
/// per field. The rules follow what each connector's own parser accepts (<see cref="FeedSourceOptions.FromJson"/>,
/// the streaming factory), tightened where a bad value would only fail later (a hashtag with '#', an unknown credential,
/// a credential bound to another platform or host, a replay file outside the import directory).
/// </summary>
public sealed partial class SourceConfigValidator(SourceSecrets secrets, ReplayFiles replayFiles)
{
    public const string Replay = SourceKinds.Replay;

    /// <summary>Every kind the Sources page can add, in the order its menu lists them.</summary>
    public static IReadOnlyList<string> Kinds => SourceKinds.All;

    /// <summary>Kinds whose connector needs a credential, named by <c>tokenSecret</c>.</summary>
    public static bool NeedsSecret(string kind) => kind is SourceKinds.X or SourceKinds.Mastodon;

    public const int MaxNameLength = 100;
    public const int MaxKeywords = 100;
    public const int MaxKeywordLength = 100;
    public const int MaxXRules = 1000;

    /// <summary>X accepts rules of up to 1,024 characters (512 at the lower access levels, which X itself reports).</summary>
    public const int MaxXRuleLength = 1024;

    public const int MaxXTagLength = 256;

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>A name is required and short; it is what the war room and the logs call the source.</summary>
    public static string? NameError(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Give the source a name."
        : name.Trim().Length > MaxNameLength ? $"A source name has at most {MaxNameLength} characters."
        : null;

    public ValidatedSourceConfig Validate(string kind, JsonElement config)
    {
        var reader = new ConfigReader(config);
        var canonical = new JsonObject();
        string? secretName = null;
        if (config.ValueKind != JsonValueKind.Object)
        {
            reader.Error("config", "The configuration must be a JSON object.");
        }
        else
        {
            switch (kind)
            {
                case SourceKinds.Rss or SourceKinds.Atom or SourceKinds.CapFeed:
                    ReadFeed(reader, canonical);
                    break;
                case SourceKinds.X:
                    secretName = ReadSecret(reader, canonical);
                    ReadX(reader, canonical);
                    CheckBinding(reader, "x", secretName, canonical["baseAddress"]?.GetValue<string>() ?? CrisisDesk.Ingest.Connectors.X.XFilteredStreamOptions.DefaultBaseAddress.ToString(), "baseAddress");
                    break;
                case SourceKinds.Mastodon:
                    ReadMastodon(reader, canonical, out secretName);
                    CheckBinding(reader, "mastodon", secretName, canonical["instance"]?.GetValue<string>(), "instance");
                    break;
                case "bluesky":
                    ReadBluesky(reader, canonical);
                    break;
                case Replay:
                    ReadReplay(reader, canonical);
                    break;
                default:
                    reader.Error("kind", $"Unknown kind \"{kind}\": choose one of {string.Join(", ", Kinds)}.");
                    break;
            }
        }
        return new ValidatedSourceConfig(kind, canonical.ToJsonString(Compact), reader.Errors, secretName);
    }

    private static void ReadFeed(ConfigReader reader, JsonObject canonical)
    {
        if (reader.HttpUrl("url", required: true, "the feed's address") is { } url)
            canonical["url"] = url;
        canonical["keywords"] = ToArray(reader.Keywords("keywords"));
        Put(canonical, "pollIntervalSeconds", reader.Number("pollIntervalSeconds", 10, 86_400, "seconds between polls"));
        Put(canonical, "requestTimeoutSeconds", reader.Number("requestTimeoutSeconds", 1, 300, "seconds per request"));
        Put(canonical, "maxRetries", reader.Number("maxRetries", 0, 20, "retries", integer: true));
        Put(canonical, "maxDocumentBytes", reader.Number("maxDocumentBytes", 1024, 64 * 1024 * 1024, "bytes", integer: true));
    }

    private void ReadX(ConfigReader reader, JsonObject canonical)
    {
        var rules = new JsonArray();
        if (!reader.Has("rules"))
        {
            reader.Error("rules", "Add at least one rule: an X query such as flood (bristol OR A38) -is:retweet.");
        }
        else if (reader.Property("rules") is not { ValueKind: JsonValueKind.Array } array)
        {
            reader.Error("rules", "Rules must be a list of {value, tag}.");
        }
        else
        {
            var i = 0;
            foreach (var rule in array.EnumerateArray())
            {
                var path = $"rules[{i++}]";
                if (rule.ValueKind != JsonValueKind.Object)
                {
                    reader.Error(path, "Each rule is an object with a \"value\" and an optional \"tag\".");
                    continue;
                }
                var value = rule.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim() : "";
                var tag = rule.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()!.Trim() : null;
                if (value.Length == 0)
                    reader.Error(path + ".value", "A rule needs a query.");
                else if (value.Length > MaxXRuleLength)
                    reader.Error(path + ".value", $"X accepts rules of at most {MaxXRuleLength} characters; this one has {value.Length}.");
                if (tag is { Length: > MaxXTagLength })
                    reader.Error(path + ".tag", $"A tag has at most {MaxXTagLength} characters.");
                var node = new JsonObject { ["value"] = value };
                if (!string.IsNullOrEmpty(tag))
                    node["tag"] = tag;
                rules.Add(node);
            }
            if (i == 0)
                reader.Error("rules", "Add at least one rule: an X query such as flood (bristol OR A38) -is:retweet.");
            else if (i > MaxXRules)
                reader.Error("rules", $"At most {MaxXRules} rules per source.");
            var duplicate = rules.Select(r => r!["value"]!.GetValue<string>()).GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1 && g.Key.Length > 0);
            if (duplicate is not null)
                reader.Error("rules", $"The rule \"{duplicate.Key}\" is listed twice.");
        }
        canonical["rules"] = rules;
        canonical["backfill"] = reader.Bool("backfill");
        if (reader.HttpUrl("baseAddress", required: false, "X's API address") is { } baseAddress)
            canonical["baseAddress"] = baseAddress;
    }

    private void ReadMastodon(ConfigReader reader, JsonObject canonical, out string? secretName)
    {
        if (reader.HttpUrl("instance", required: true, "the instance's address, e.g. https://mastodon.social/") is { } instance)
            canonical["instance"] = instance;
        secretName = ReadSecret(reader, canonical);
        var stream = reader.String("stream") ?? "hashtag";
        if (stream is not ("hashtag" or "public"))
            reader.Error("stream", "The stream is \"hashtag\" (one hashtag) or \"public\" (everything the instance sees).");
        canonical["stream"] = stream;
        var hashtag = reader.String("hashtag")?.TrimStart('#');
        if (stream == "hashtag")
        {
            if (string.IsNullOrEmpty(hashtag))
                reader.Error("hashtag", "A hashtag stream needs a hashtag (without '#').");
            else if (!HashtagPattern().IsMatch(hashtag))
                reader.Error("hashtag", "A hashtag has only letters, digits and '_'.");
        }
        if (!string.IsNullOrEmpty(hashtag))
            canonical["hashtag"] = hashtag;
    }

    private static void ReadBluesky(ConfigReader reader, JsonObject canonical)
    {
        canonical["keywords"] = ToArray(reader.Keywords("keywords"));
        Put(canonical, "rewindSeconds", reader.Number("rewindSeconds", 0, 300, "seconds", integer: true));
        if (reader.String("endpoint") is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
                reader.Error("endpoint", "The Jetstream endpoint is a ws:// or wss:// address, e.g. wss://jetstream2.us-east.bsky.network/subscribe.");
            else
                canonical["endpoint"] = endpoint;
        }
    }

    private void ReadReplay(ConfigReader reader, JsonObject canonical)
    {
        var file = reader.String("file");
        if (string.IsNullOrEmpty(file))
        {
            reader.Error("file", "A replay needs the file to replay: its name in the import directory (upload it, or place it there).");
        }
        else
        {
            // One message for every refusal: it never tells whether something exists outside the import directory.
            if (!replayFiles.TryResolve(file, out _))
                reader.Error("file", new ReplayFileNotFoundException(file).Message);
            canonical["file"] = file;
        }
        var formats = PostFormats.Replay.Select(f => f.Format).ToList();
        var format = reader.String("format");
        if (format is null || !formats.Contains(format, StringComparer.Ordinal))
            reader.Error("format", $"Choose the file's format: {string.Join(", ", formats)}.");
        else
            canonical["format"] = format;
        Put(canonical, "speed", reader.Number("speed", 0.01, 1_000_000, "times real time"));
        Put(canonical, "maxGapSeconds", reader.Number("maxGapSeconds", 0, 3600, "seconds"));
    }

    /// <summary>
    /// The credential's name, never its value. It must name a configured secret: a name that resolves to nothing is
    /// refused, which also keeps a token pasted into this field from being stored. The message does not repeat the
    /// text, in case it is one.
    /// </summary>
    private string? ReadSecret(ConfigReader reader, JsonObject canonical)
    {
        var name = reader.String("tokenSecret");
        if (string.IsNullOrEmpty(name))
        {
            reader.Error("tokenSecret", "Name the credential (e.g. X:BearerToken): its value is read from CrisisDesk:Secrets:<name>.");
            return null;
        }
        if (name.Length > 100 || !SecretNamePattern().IsMatch(name))
        {
            reader.Error("tokenSecret", "A credential name is letters, digits, '.', '_', '-' in parts joined by ':' (e.g. X:BearerToken) — the name, not the token.");
            return null;
        }
        if (!secrets.IsConfigured(name))
        {
            reader.Error("tokenSecret", "No credential of that name is configured. Set CrisisDesk:Secrets:<name> (user secrets, or the environment variable CrisisDesk__Secrets__<name with : as __>) and restart CrisisDesk.");
            return null;
        }
        canonical["tokenSecret"] = name;
        return name;
    }

    /// <summary>
    /// Refuses a credential that may not go where the source would send it: another platform's, another host's, or
    /// over plain http. Nothing is sent anywhere to find out.
    /// </summary>
    private void CheckBinding(ConfigReader reader, string kind, string? secretName, string? address, string addressField)
    {
        if (secretName is null || address is null || secrets.Find(secretName) is not { } secret)
            return;
        if (secret.Binding.Refusal(kind, new Uri(address)) is { } refusal)
            reader.Error(secret.Binding.Platform == kind ? addressField : "tokenSecret", refusal);
    }

    private static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static void Put(JsonObject target, string name, double? value)
    {
        if (value is { } number)
            target[name] = number == Math.Floor(number) && Math.Abs(number) < long.MaxValue ? JsonValue.Create((long)number) : JsonValue.Create(number);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*(:[A-Za-z0-9_.\-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretNamePattern();

    [GeneratedRegex(@"^[\p{L}\p{N}_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HashtagPattern();

    /// <summary>Reads fields of one JSON object and collects one message per bad field.</summary>
    private sealed class ConfigReader(JsonElement root)
    {
        public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

        public void Error(string field, string message) => Errors.TryAdd(field, message);

        public bool Has(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

        public JsonElement? Property(string name) => Has(name) ? root.GetProperty(name) : null;

        public string? String(string name)
        {
            if (Property(name) is not { } value)
                return null;
            if (value.ValueKind != JsonValueKind.String)
            {
                Error(name, "Expected text.");
                return null;
            }
            var text = value.GetString()!.Trim();
            return text.Length == 0 ? null : text;
        }

        public string? HttpUrl(string name, bool required, string what)
        {
            var text = String(name);
            if (text is null)
            {
                if (required && !Errors.ContainsKey(name))
                    Error(name, $"Enter {what}.");
                return null;
            }
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(url.Host))
            {
                Error(name, $"Expected an http:// or https:// address for {what}.");
                return null;
            }
            return url.ToString();
        }

        public bool Bool(string name)
        {
            if (Property(name) is not { } value)
                return false;
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                return value.GetBoolean();
            Error(name, "Expected true or false.");
            return false;
        }

        public double? Number(string name, double min, double max, string unit, bool integer = false)
        {
            if (Property(name) is not { } value)
                return null;
            double number;
            if (value.ValueKind == JsonValueKind.Number)
                number = value.GetDouble();
            else if (value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(value.GetString()))
                return null;
            else if (value.ValueKind != JsonValueKind.String || !double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            {
                Error(name, $"Expected a number of {unit}.");
                return null;
            }
            if (integer && number != Math.Floor(number))
            {
                Error(name, $"Expected a whole number of {unit}.");
                return null;
            }
            if (double.IsNaN(number) || number < min || number > max)
            {
                Error(name, string.Create(CultureInfo.InvariantCulture, $"Expected {min} to {max} {unit}."));
                return null;
            }
            return number;
        }

        /// <summary>A list of keywords (a JSON array, or one comma-separated text); blanks dropped, repeats folded.</summary>
        public IReadOnlyList<string> Keywords(string name)
        {
            if (Property(name) is not { } value)
                return [];
            IEnumerable<string> items;
            if (value.ValueKind == JsonValueKind.String)
                items = value.GetString()!.Split([',', '\n'], StringSplitOptions.TrimEntries);
            else if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))
                items = value.EnumerateArray().Select(v => v.GetString()!.Trim());
            else
            {
                Error(name, "Expected a list of keywords.");
                return [];
            }
            var keywords = items.Where(k => k.Length > 0 && k != "#").Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (keywords.Count > MaxKeywords)
                Error(name, $"At most {MaxKeywords} keywords.");
            else if (keywords.FirstOrDefault(k => k.Length > MaxKeywordLength) is { } tooLong)
                Error(name, $"A keyword has at most {MaxKeywordLength} characters (\"{tooLong[..20]}…\" is longer).");
            return keywords;
        }
    }
}
