using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrisisDesk.EndToEndTests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// Every routable page (found by reflection, so a new page is covered without touching this file), signed in as the
/// admin on the drill, at a desktop and a phone size in the light theme and at the desktop size in the dark one: no serious
/// or critical axe-core violation, and on the phone no sideways scrolling. A failure lists every page, rule and node at once.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class EveryPageTests(BrowserFixture browser) : AppTests(browser)
{
    private const int DrillIncidentId = 1;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "1000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.2",
    };

    /// <summary>Every @page template of the web app.</summary>
    public static IReadOnlyList<string> RouteTemplates() =>
        typeof(CrisisDesk.Web.Components.App).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
            .Select(r => r.Template)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Routes_are_found_by_reflection()
    {
        var templates = RouteTemplates();
        Assert.Contains("/", templates);
        Assert.Contains("/incidents/{IncidentId:int}", templates);
        Assert.Contains("/login", templates);
    }

    [Fact]
    public async Task Every_page_passes_axe_in_both_themes_and_fits_a_phone()
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        var values = await CreateRowsAsync(admin);

        var pages = RouteTemplates().Select(template => (Template: template, Path: Fill(template, values))).ToList();
        // The dark theme is a palette (its contrast is checked at the desktop size); the phone's layout does not change
        // with the theme (checked in the light one). Three passes instead of four, run side by side as three people
        // would: most of a page's time is waiting for it to settle, which the passes share. The suite's longest test.
        var passes = await Task.WhenAll(new[] { ("light", 1440, 900), ("light", 390, 844), ("dark", 1440, 900) }
            .Select(pass => CheckEveryPageAsync(pages, pass.Item1, pass.Item2, pass.Item3)));
        var failures = passes.SelectMany(f => f).ToList();

        Assert.True(failures.Count == 0, $"{failures.Count} problems on {pages.Count} pages (screenshots in {PageChecks.ScreenshotDirectory}):\n" + string.Join("\n", failures));
    }

    private async Task<List<string>> CheckEveryPageAsync(IReadOnlyList<(string Template, string Path)> pages, string theme, int width, int height)
    {
        var failures = new List<string>();
        var page = await PageAsync(theme, width, height);
        foreach (var (template, path) in pages)
        {
            var what = $"{path} ({template}) at {width}x{height}, {theme}";
            var response = await page.GotoAsync(path);
            if (response is null || (response.Status >= 400 && template != "/not-found"))
            {
                failures.Add($"{what}: answered {response?.Status}");
                continue;
            }
            if (template is not ("/login" or "/error"))
                await page.WaitForCircuitAsync();
            // Let loading skeletons give way to content: the check is of the page as people read it. A page that keeps a
            // request going (a tile server that never answers, on a machine without the internet) is checked as it is.
            try
            {
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 10_000 });
            }
            catch (TimeoutException)
            {
                // Not idle in 10 s: go on.
            }
            await page.WaitForTimeoutAsync(300);
            var violations = await page.SeriousAxeViolationsAsync();
            failures.AddRange(violations.Select(v => $"{what}: {v}"));
            if (width < 600 && await page.HorizontalScrollAsync() is { } overflow)
                failures.Add($"{what}: scrolls sideways: {overflow}");
            await page.ScreenshotAsync($"page-{Slug(path)}-{width}-{theme}");
        }
        await page.Context.CloseAsync();
        return failures;
    }

    /// <summary>A signed-in admin's page at a size, with the theme chosen (the cookie the user menu's switch sets).</summary>
    private async Task<IPage> PageAsync(string theme, int width, int height)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await page.Context.AddCookiesAsync([new Cookie { Name = "crisisdesk.theme", Value = theme, Url = App.BaseAddress.ToString() }]);
        await page.SignInAsync("admin", AdminPassword);
        return page;
    }

    /// <summary>Rows for the pages that show one: a rumour, a rebuttal and an alert on the drill, made through the HTTP API.</summary>
    private static async Task<Dictionary<string, int>> CreateRowsAsync(IPage admin)
    {
        var api = admin.Context.APIRequest;
        var rumour = await CreatedIdAsync(await api.PostAsync($"/api/incidents/{DrillIncidentId}/rumours",
            new() { DataObject = new { claim = "The co-pilot was a convert", severity = (string?)null, owner = (string?)null }, Headers = PageActions.ScriptHeaders }), "rumour");
        var rebuttal = await CreatedIdAsync(await api.PostAsync($"/api/incidents/{DrillIncidentId}/rebuttals",
            new() { DataObject = new { title = "No evidence for the claim", rumourId = rumour, variants = new Dictionary<string, string> { ["X"] = "There is no evidence for this claim." } }, Headers = PageActions.ScriptHeaders }), "rebuttal");
        var alert = await CreatedIdAsync(await api.PostAsync($"/api/incidents/{DrillIncidentId}/alerts",
            new() { Headers = new Dictionary<string, string>(PageActions.ScriptHeaders) { ["Content-Type"] = "application/cap+xml" }, Data = CapAlertXml }), "alert");
        return new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["IncidentId"] = DrillIncidentId,
            ["RumourId"] = rumour,
            ["RebuttalId"] = rebuttal,
            ["AlertId"] = alert,
        };
    }

    private static async Task<int> CreatedIdAsync(IAPIResponse response, string what)
    {
        var body = await response.TextAsync();
        Assert.True(response.Status == 201, $"creating the {what} answered {response.Status}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt32();
    }

    /// <summary>The template with each {Name} or {Name:constraint} replaced by the row of that name.</summary>
    private static string Fill(string template, IReadOnlyDictionary<string, int> values) =>
        RouteParameter().Replace(template, match => values.TryGetValue(match.Groups[1].Value, out var value)
            ? value.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"EveryPageTests has no row for {{{match.Groups[1].Value}}} in {template}: create one in CreateRowsAsync."));

    private static string Slug(string path) => path == "/" ? "home" : NonWord().Replace(path.Trim('/'), "-");

    [GeneratedRegex(@"\{(\w+)(?::[^}]*)?\}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"[^a-zA-Z0-9]+")]
    private static partial Regex NonWord();

    private static readonly string CapAlertXml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>composer-placeholder</identifier>
          <sender>composer@placeholder</sender>
          <sent>2026-11-21T14:32:00+00:00</sent>
          <status>Exercise</status>
          <msgType>Alert</msgType>
          <scope>Public</scope>
          <info>
            <language>en-GB</language>
            <category>Transport</category>
            <event>Air crash</event>
            <urgency>Immediate</urgency>
            <severity>Severe</severity>
            <certainty>Observed</certainty>
            <headline>Stay away from the crash site</headline>
            <instruction>Keep roads clear for emergency services.</instruction>
            <area><areaDesc>Prads-Haute-Bléone</areaDesc></area>
          </info>
        </alert>
        """;
}
