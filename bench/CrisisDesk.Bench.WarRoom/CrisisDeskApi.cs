using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrisisDesk.Bench.WarRoom;

/// <summary>CrisisDesk's HTTP API as a script uses it: signed in through the real form (antiforgery token included).</summary>
internal sealed partial class CrisisDeskApi : IDisposable
{
    private readonly HttpClient _client;

    private CrisisDeskApi(HttpClient client) => _client = client;

    public static async Task<CrisisDeskApi> SignInAsync(Uri baseAddress, string userName, string password)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        // A script's calls carry this header (CrisisDesk's cross-site request guard; see the README's security section).
        client.DefaultRequestHeaders.Add("X-CrisisDesk-Request", "1");
        var page = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["userName"] = userName,
            ["password"] = password,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString.Contains("failed", StringComparison.Ordinal) == true)
            throw new InvalidOperationException($"Sign-in as {userName} failed: {(int)response.StatusCode} {response.Headers.Location}");
        return new CrisisDeskApi(client);
    }

    public async Task<int> OpenIncidentAsync(string name, string[] keywords)
    {
        var created = await PostAsync("/api/incidents", new { name, keywords });
        return created.GetProperty("id").GetInt32();
    }

    public async Task<int> AddReplaySourceAsync(int incidentId, string name, string file, double speed, double maxGapSeconds)
    {
        var created = await PostAsync($"/api/incidents/{incidentId}/sources",
            new { kind = "replay", name, config = new { file, format = "post.jsonl", speed, maxGapSeconds } });
        return created.GetProperty("id").GetInt32();
    }

    public Task StartSourceAsync(int incidentId, int sourceId) => PostAsync($"/api/incidents/{incidentId}/sources/{sourceId}/start", new { });

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose() => _client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
