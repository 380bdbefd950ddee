using System.Security.Claims;
using System.Text.Json;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.Feeds;
using CrisisDesk.Ingest.Connectors.X;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>One item a feed test read, as the war room would show it.</summary>
public sealed record SourceTestItem(string Platform, string Text, string? Url, DateTimeOffset? CreatedAt, string? Author, IReadOnlyList<string> Matched);

/// <summary>A rule X refused in a dry run, with X's reason.</summary>
public sealed record SourceTestRejectedRule(string Value, string Reason);

/// <summary>
/// What "Test" found: per-field errors when the configuration is not valid; otherwise whether the source answered
/// as it should, a one-line summary, the problems it reported, the first items (feeds) or refused rules (X).
/// </summary>
public sealed record SourceTestResult(
    bool Passed,
    string Summary,
    IReadOnlyDictionary<string, string> Errors,
    IReadOnlyList<string> Problems,
    IReadOnlyList<SourceTestItem> Items,
    int ItemCount,
    IReadOnlyList<SourceTestRejectedRule> RejectedRules)
{
    public static SourceTestResult Invalid(IReadOnlyDictionary<string, string> errors) =>
        new(false, "The configuration is not valid: see the fields marked.", errors, [], [], 0, []);

    public static SourceTestResult Failed(string summary, IReadOnlyList<string>? problems = null) =>
        new(false, summary, new Dictionary<string, string>(), problems ?? [], [], 0, []);
}

/// <summary>
/// "Test before adding" (Admin): feeds are read once exactly as the connector reads them (<see cref="FeedProbe"/>);
/// X rules are checked by X itself with <c>dry_run</c>; Mastodon and Bluesky configurations are parsed by their
/// connector and their credential's name resolved. Nothing is stored and nothing is started.
/// </summary>
public sealed class SourceTester(SourceCommands commands, CommandAuthorizer authorizer, IHttpClientFactory httpClients, SourceSecrets secrets)
{
    /// <summary>Items a test shows; the summary gives the full count.</summary>
    public const int ItemsShown = 10;

    /// <summary>The longest a test may take in all (a CAP index may link many documents).</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(90);

    public async Task<SourceTestResult> TestAsync(ClaimsPrincipal user, int incidentId, string kind, string? name, JsonElement config, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "test a source", incidentId, cancellationToken);
        // The name does not matter for a test: only the configuration's own errors are shown.
        var validated = commands.Check(incidentId, kind, string.IsNullOrWhiteSpace(name) ? "test" : name, config);
        if (!validated.IsValid)
            return SourceTestResult.Invalid(validated.Errors);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeLimit);
        try
        {
            return kind switch
            {
                SourceKinds.Rss or SourceKinds.Atom or SourceKinds.CapFeed => await TestFeedAsync(kind, validated.Json, limit.Token),
                "x" => await TestXAsync(validated.Json, limit.Token),
                _ => new SourceTestResult(true, ConfigOnlySummary(kind, validated.SecretName), new Dictionary<string, string>(), [], [], 0, []),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SourceTestResult.Failed($"The test did not finish within {TimeLimit.TotalSeconds:0} s and was stopped.");
        }
    }

    private static string ConfigOnlySummary(string kind, string? secretName) =>
        (secretName is null ? "The configuration is valid" : $"The configuration is valid and the credential \"{secretName}\" is configured")
        + (kind == SourceConfigValidator.Replay ? "; the file is there." : $". The {kind} connection itself is made when the source starts.");

    private async Task<SourceTestResult> TestFeedAsync(string kind, string json, CancellationToken cancellationToken)
    {
        var options = FeedSourceOptions.FromJson(kind, json);
        using var http = httpClients.CreateClient(FeedKindFactory.HttpClientName);
        http.Timeout = options.RequestTimeout;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        // The validated URL is always http(s): the probe's local-file mode is never reachable from here.
        var exit = await FeedProbe.RunAsync(kind, options.Url.ToString(), stdout, stderr, http, cancellationToken);
        var problems = Lines(stderr.ToString());
        if (exit != FeedProbe.ExitRead)
        {
            var reason = problems.FirstOrDefault() ?? $"the probe ended with code {exit}";
            return SourceTestResult.Failed(exit == FeedProbe.ExitUnreachable ? $"Could not read the feed: {reason}" : $"The feed was refused: {reason}", problems.Skip(1).ToList());
        }

        var readLine = problems.LastOrDefault(p => p.StartsWith("read ", StringComparison.Ordinal));
        problems.Remove(readLine ?? "");
        var matcher = new KeywordMatcher(options.Keywords);
        var items = Lines(stdout.ToString()).Select(line => ToItem(line, matcher)).Reverse().ToList();
        var kept = kind == SourceKinds.CapFeed ? items.Count : items.Count(i => matcher.Keywords.Count == 0 || i.Matched.Count > 0);
        var summary = kind == SourceKinds.CapFeed
            ? $"Read {Describe(readLine)}: {items.Count} alert(s)."
            : matcher.Keywords.Count == 0
                ? $"Read {Describe(readLine)}: {items.Count} item(s); with no keywords, all are kept."
                : $"Read {Describe(readLine)}: {items.Count} item(s), {kept} mention the keywords and would be kept.";
        return new SourceTestResult(true, summary, new Dictionary<string, string>(), problems, items.Take(ItemsShown).ToList(), items.Count, []);
    }

    /// <summary>The feed's title from the probe's closing line, "read TITLE: N entries".</summary>
    private static string Describe(string? readLine)
    {
        var colon = readLine?.LastIndexOf(':') ?? -1;
        return colon > "read ".Length ? $"\"{readLine![5..colon]}\"" : "the feed";
    }

    private static SourceTestItem ToItem(string line, KeywordMatcher matcher)
    {
        using var doc = JsonDocument.Parse(line);
        var post = doc.RootElement;
        string? Text(JsonElement e, string p) => e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var platform = Text(post, "platform") ?? "";
        var text = Text(post, "text") ?? "";
        var extra = post.TryGetProperty("extra", out var x) && x.ValueKind == JsonValueKind.Object ? x : default;
        var author = platform == "cap"
            ? Text(post, "authorName") ?? Text(post, "authorHandle")
            : extra.ValueKind == JsonValueKind.Object ? Text(extra, "outlet") ?? Text(post, "authorName") : Text(post, "authorName");
        if (platform == "cap" && extra.ValueKind == JsonValueKind.Object)
        {
            // An official alert reads as its headline, severity, area and expiry, as the war room shows it.
            var parts = new[] { Text(extra, "headline"), Text(extra, "severity"), Text(extra, "areaDesc"), Text(extra, "expires") is { } expires ? "expires " + expires : null };
            text = string.Join(" · ", parts.Where(p => !string.IsNullOrWhiteSpace(p)));
        }
        DateTimeOffset? created = post.TryGetProperty("createdAt", out var c) && c.TryGetDateTimeOffset(out var at) ? at : null;
        return new SourceTestItem(platform, text, Text(post, "url"), created, author, platform == "cap" ? [] : matcher.Matches(text));
    }

    private async Task<SourceTestResult> TestXAsync(string json, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(json);
        var config = doc.RootElement;
        var secretName = config.GetProperty("tokenSecret").GetString()!;
        var rules = config.GetProperty("rules").EnumerateArray()
            .Select(r => new XStreamRule(r.GetProperty("value").GetString()!, r.TryGetProperty("tag", out var tag) ? tag.GetString() : null)).ToList();
        // The validation above refused a credential bound elsewhere; the binding goes along so the request checks again.
        var secret = secrets.Find(secretName)!;
        var options = new XFilteredStreamOptions
        {
            BaseAddress = config.TryGetProperty("baseAddress", out var address) ? new Uri(address.GetString()!) : XFilteredStreamOptions.DefaultBaseAddress,
            BearerToken = secret.Value,
            Credential = secret.Binding,
            Rules = rules,
        };
        using var http = httpClients.CreateClient(StreamingKindFactory.HttpClientName);
        http.Timeout = TimeSpan.FromSeconds(30);
        IReadOnlyList<XRuleRejection> rejected;
        try
        {
            rejected = await new XStreamRules(http, options).ValidateAsync(rules, cancellationToken);
        }
        catch (StreamFailureException e)
        {
            return SourceTestResult.Failed($"X refused the check: {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return SourceTestResult.Failed($"Could not reach X at {options.BaseAddress}: {e.Message}");
        }
        catch (JsonException e)
        {
            return SourceTestResult.Failed($"X's answer was not understood: {e.Message}");
        }
        catch (CredentialRefusedException e)
        {
            return SourceTestResult.Failed(e.Message);
        }
        var refused = rejected.Select(r => new SourceTestRejectedRule(r.Value, r.Reason)).ToList();
        return refused.Count == 0
            ? new SourceTestResult(true, $"X accepts all {rules.Count} rule(s) (dry run: nothing was changed on the stream).", new Dictionary<string, string>(), [], [], 0, [])
            : new SourceTestResult(false, $"X refuses {refused.Count} of {rules.Count} rule(s).", RuleErrors(rules, refused), [], [], 0, refused);
    }

    /// <summary>X's reasons beside the rules they are about, as field errors (<c>rules[2].value</c>).</summary>
    private static Dictionary<string, string> RuleErrors(List<XStreamRule> rules, List<SourceTestRejectedRule> refused)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rejection in refused)
        {
            var index = rules.FindIndex(r => r.Value == rejection.Value);
            errors.TryAdd(index >= 0 ? $"rules[{index}].value" : "rules", "X: " + rejection.Reason);
        }
        return errors;
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
