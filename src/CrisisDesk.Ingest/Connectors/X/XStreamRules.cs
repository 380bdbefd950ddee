using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrisisDesk.Ingest.Connectors.X;

/// <summary>A rule X refused, with X's reason (e.g. "Rules must contain a non-negation term").</summary>
public sealed record XRuleRejection(string Value, string Reason);

/// <summary>What a synchronisation changed on the stream.</summary>
public sealed record XRuleSyncResult(int Added, int Deleted, IReadOnlyList<XRuleRejection> Rejected);

/// <summary>
/// Makes the filtered stream's rule set equal to the wanted rules through <c>POST /2/tweets/search/stream/rules</c>:
/// new rules are validated with <c>dry_run=true</c> first, so nothing is removed when a replacement would be refused and
/// the operator sees each refused rule's reason.
/// </summary>
public sealed class XStreamRules(HttpClient http, XFilteredStreamOptions options)
{
    private const string RulesPath = "2/tweets/search/stream/rules";

    /// <summary>Checks rules without changing the stream (the admin UI's "test" button).</summary>
    public async Task<IReadOnlyList<XRuleRejection>> ValidateAsync(IEnumerable<XStreamRule> rules, CancellationToken cancellationToken)
    {
        var body = new RulesRequest { Add = rules.Select(r => new RuleDto { Value = r.Value, Tag = r.Tag }).ToList() };
        var response = await PostAsync(body, dryRun: true, cancellationToken);
        return Rejections(response);
    }

    public async Task<XRuleSyncResult> SyncAsync(CancellationToken cancellationToken)
    {
        using var request = Authorised(HttpMethod.Get, RulesPath);
        using var listed = await http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(listed, cancellationToken);
        var existing = (await listed.Content.ReadFromJsonAsync<RulesResponse>(cancellationToken))?.Data ?? [];

        var wanted = options.Rules.Distinct().ToList();
        var toAdd = wanted.Where(w => !existing.Any(e => e.Value == w.Value && e.Tag == w.Tag)).ToList();
        var toDelete = existing.Where(e => !wanted.Any(w => e.Value == w.Value && e.Tag == w.Tag)).Select(e => e.Id!).ToList();

        if (toAdd.Count > 0)
        {
            var rejected = await ValidateAsync(toAdd, cancellationToken);
            if (rejected.Count > 0)
            {
                return new XRuleSyncResult(0, 0, rejected);
            }
        }
        if (toDelete.Count > 0)
        {
            await PostAsync(new RulesRequest { Delete = new DeleteDto { Ids = toDelete } }, dryRun: false, cancellationToken);
        }
        var added = 0;
        var rejectedOnAdd = new List<XRuleRejection>();
        if (toAdd.Count > 0)
        {
            var response = await PostAsync(new RulesRequest
            {
                Add = toAdd.Select(r => new RuleDto { Value = r.Value, Tag = r.Tag }).ToList(),
            }, dryRun: false, cancellationToken);
            added = response.Meta?.Summary?.Created ?? response.Data?.Count ?? 0;
            rejectedOnAdd.AddRange(Rejections(response));
        }
        return new XRuleSyncResult(added, toDelete.Count, rejectedOnAdd);
    }

    private async Task<RulesResponse> PostAsync(RulesRequest body, bool dryRun, CancellationToken cancellationToken)
    {
        using var request = Authorised(HttpMethod.Post, dryRun ? RulesPath + "?dry_run=true" : RulesPath);
        request.Content = JsonContent.Create(body, options: Json);
        using var response = await http.SendAsync(request, cancellationToken);
        // X answers 400 with an errors array for invalid rules: read those rather than failing on the status.
        if (!response.IsSuccessStatusCode && (int)response.StatusCode != 400)
        {
            await EnsureSuccessAsync(response, cancellationToken);
        }
        return await response.Content.ReadFromJsonAsync<RulesResponse>(Json, cancellationToken) ?? new RulesResponse();
    }

    private HttpRequestMessage Authorised(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(options.BaseAddress, path));
        Authorize(request, options);
        return request;
    }

    /// <summary>The bearer token on the request, once its address is checked against where the credential may go.</summary>
    internal static void Authorize(HttpRequestMessage request, XFilteredStreamOptions options)
    {
        if (options.Credential is { } binding)
            binding.Authorize(request, "x", options.BearerToken);
        else
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.BearerToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var reason = await HttpErrors.ReadReasonAsync(response, cancellationToken);
            throw StreamFailureException.FromResponse(response, DateTimeOffset.UtcNow, "rules endpoint: " + reason);
        }
    }

    private static List<XRuleRejection> Rejections(RulesResponse response) =>
        (response.Errors ?? [])
            .Select(e => new XRuleRejection(e.Value ?? "(request)",
                e.Details is { Count: > 0 } details ? string.Join("; ", details) : e.Title ?? e.Detail ?? "rejected"))
            .ToList();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 16,
    };

    private sealed class RulesRequest
    {
        [JsonPropertyName("add")] public List<RuleDto>? Add { get; set; }
        [JsonPropertyName("delete")] public DeleteDto? Delete { get; set; }
    }

    private sealed class DeleteDto
    {
        [JsonPropertyName("ids")] public List<string> Ids { get; set; } = [];
    }

    private sealed class RuleDto
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("value")] public string Value { get; set; } = "";
        [JsonPropertyName("tag")] public string? Tag { get; set; }
    }

    private sealed class RulesResponse
    {
        [JsonPropertyName("data")] public List<RuleDto>? Data { get; set; }
        [JsonPropertyName("meta")] public MetaDto? Meta { get; set; }
        [JsonPropertyName("errors")] public List<ErrorDto>? Errors { get; set; }
    }

    private sealed class MetaDto
    {
        [JsonPropertyName("summary")] public SummaryDto? Summary { get; set; }
    }

    private sealed class SummaryDto
    {
        [JsonPropertyName("created")] public int Created { get; set; }
        [JsonPropertyName("invalid")] public int Invalid { get; set; }
    }

    private sealed class ErrorDto
    {
        [JsonPropertyName("value")] public string? Value { get; set; }
        [JsonPropertyName("title")] public string? Title { get; set; }
        [JsonPropertyName("detail")] public string? Detail { get; set; }
        [JsonPropertyName("details")] public List<string>? Details { get; set; }
    }
}
