using System.Text.Json;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The whole answer to a rumour, by two people, at desktop and phone size: an Operator drafts a rebuttal from the rumour
/// (its claim filled in), writes the channel texts and submits; an Approver sees the badge count, opens the item from
/// the inbox and approves it at the top of the view; it is published through the outbox (a fake Mastodon that speaks
/// the real API receives it) and the rumour shows it as published and is resolved.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RebuttalFlowTests(BrowserFixture browser) : AppTests(browser)
{
    private const string Claim = "The Riverside dam has failed and the town will flood";
    private readonly List<string> _statuses = [];
    private FakeServer _mastodon = default!;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.200",
        ["CrisisDesk:Channels:Mastodon:BaseUrl"] = _mastodon.Address.ToString(),
        ["CrisisDesk:Channels:Mastodon:AccessToken"] = "flow-token",
    };

    public override async Task InitializeAsync()
    {
        // Mastodon's POST /api/v1/statuses, as documented: the status text in, the created status (id, url) out.
        _mastodon = await FakeServer.StartAsync(web => web.MapPost("/api/v1/statuses", async (HttpContext http) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            lock (_statuses)
                _statuses.Add(body.GetProperty("status").GetString()!);
            return Results.Json(new { id = "1", url = "https://social.example/@riverside/1" });
        }));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _mastodon.DisposeAsync();
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task A_rumour_is_answered_approved_from_the_inbox_published_and_resolved(int width, int height)
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("op.a", "Operator A", "Operator", "op.a-password-1");
        await admin.AddUserAsync("approver.b", "Approver B", "Approver", "approver.b-password-1");

        var op = await PersonAsync("op.a", "op.a-password-1", width, height);
        var incidentId = await CreatedIdAsync(op, "/api/incidents", new { name = "Riverside dam" });
        var rumourId = await CreatedIdAsync(op, $"/api/incidents/{incidentId}/rumours", new { claim = Claim, severity = "Critical" });

        // A gives the verdict, then drafts the rebuttal from the rumour: the claim is filled in, no id typed.
        await op.GotoAsync($"/incidents/{incidentId}/rumours/{rumourId}");
        await op.WaitForCircuitAsync();
        await op.GetByTestId("status-Investigating").ClickAsync();
        await op.GetByTestId("rumour-status").Filter(new() { HasTextString = "Investigating" }).WaitForAsync();
        await op.GetByTestId("status-ConfirmedFalse").ClickAsync();
        await op.GetByTestId("rumour-status").Filter(new() { HasTextString = "Confirmed false" }).WaitForAsync();
        await ShotAsync(op, "rumour-board", width);
        await op.GetByTestId("draft-rebuttal").ClickAsync();
        await op.WaitForURLAsync($"**/incidents/{incidentId}/rebuttals?rumour={rumourId}");
        await op.WaitForCircuitAsync();
        await op.GetByTestId("composer-rumour").Filter(new() { HasTextString = Claim }).WaitForAsync();
        Assert.Equal(Claim, await op.Locator("#rebuttal-title").InputValueAsync());

        await op.Locator("#variant-X").FillAsync("The Riverside dam has NOT failed. Engineers inspected it this morning.");
        await op.Locator("#variant-Mastodon").FillAsync("The Riverside dam has not failed: engineers inspected it this morning and it is sound.");
        // A text too long for its channel is said next to that text, and submitting waits until it fits.
        await op.Locator("#variant-WeaShort").FillAsync(new string('x', 95));
        await op.GetByTestId("variant-problem-WeaShort").Filter(new() { HasTextString = "Too long for its channel" }).WaitForAsync();
        await op.Locator("#variant-WeaShort").FillAsync("");
        await op.GetByTestId("variant-problem-WeaShort").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await ShotAsync(op, "rebuttal-composer", width);
        await op.GetByTestId("save-draft").ClickAsync();
        await op.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/rebuttals/\d+$"));
        var rebuttalUrl = new Uri(op.Url).AbsolutePath;
        await op.WaitForCircuitAsync();
        await op.GetByTestId("rebuttal-state").Filter(new() { HasTextString = "Draft" }).WaitForAsync();
        // A second thought before submitting: what is on screen is saved as version 2 and submitted.
        await op.Locator("#variant-X").FillAsync("The Riverside dam has NOT failed. Engineers inspected it this morning: it is sound.");
        await op.GetByTestId("submit").ClickAsync();
        await op.GetByTestId("rebuttal-state").Filter(new() { HasTextString = "Awaiting approval" }).WaitForAsync();
        Assert.Equal(0, await op.GetByTestId("approve").CountAsync());

        // B sees the badge count, opens the inbox and the item, and decides at the top of the view.
        var approver = await PersonAsync("approver.b", "approver.b-password-1", width, height);
        await approver.GotoAsync("/");
        await approver.WaitForCircuitAsync();
        await PageActions.EventuallyAsync(() => approver.GetByTestId("approvals-count").TextContentAsync(), c => c == "1", "the approvals badge to count 1");
        await approver.GetByTestId("approvals-badge").ClickAsync();
        await approver.WaitForURLAsync("**/approvals");
        var item = approver.GetByTestId("approval-item");
        await item.Filter(new() { HasTextString = Claim }).WaitForAsync();
        Assert.Equal(1, await item.CountAsync());
        Assert.Contains("Submitted by op.a", await item.InnerTextAsync(), StringComparison.Ordinal);
        await ShotAsync(approver, "approvals-inbox", width);
        await item.GetByTestId("approval-open").ClickAsync();
        await approver.WaitForURLAsync($"**{rebuttalUrl}");
        await approver.WaitForCircuitAsync();
        var decision = approver.GetByTestId("decision-panel");
        await decision.WaitForAsync();
        await decision.Locator("[data-testid=diff-X] ins").Filter(new() { HasTextString = "it is sound." }).WaitForAsync();
        Assert.True(await InViewAsync(approver.GetByTestId("approve")), "Approve is on screen without scrolling");
        await ShotAsync(approver, "rebuttal-approval", width);
        // Rejecting needs a reason; the approval itself takes the comment as it is.
        await approver.GetByTestId("reject").ClickAsync();
        await approver.GetByText("Say why it is rejected").WaitForAsync();
        await approver.Locator("#decision-comment").FillAsync("Matches the engineers' statement");
        await approver.GetByTestId("approve").ClickAsync();
        await approver.GetByTestId("rebuttal-state").Filter(new() { HasTextString = "Approved" }).WaitForAsync();
        await PageActions.EventuallyAsync(() => approver.GetByTestId("approvals-count").TextContentAsync(), c => c == "0", "the approvals badge to count 0");

        // A publishes what was approved (the page followed the decision live), after confirming.
        await op.GetByTestId("rebuttal-state").Filter(new() { HasTextString = "Approved" }).WaitForAsync();
        await op.GetByTestId("publish").ClickAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "Publish", Exact = true }).ClickAsync();
        await op.Locator("[data-testid=delivery-row][data-channel=mastodon][data-status=succeeded]").WaitForAsync();
        Assert.Contains("Delivered", await op.GetByTestId("delivery-state").InnerTextAsync(), StringComparison.Ordinal);
        await ShotAsync(op, "rebuttal-published", width);
        lock (_statuses)
            Assert.Equal(["The Riverside dam has not failed: engineers inspected it this morning and it is sound."], _statuses);

        // The rumour shows its rebuttal as published and offers Resolve, with notes.
        await op.GotoAsync($"/incidents/{incidentId}/rumours/{rumourId}");
        await op.WaitForCircuitAsync();
        await op.Locator("[data-testid=rumour-rebuttal-state][data-state=published]").WaitForAsync();
        await op.Locator("#resolve-note").FillAsync("Rebuttal out on Mastodon; shares have stopped");
        await op.GetByTestId("resolve").ClickAsync();
        await op.GetByTestId("rumour-status").Filter(new() { HasTextString = "Resolved" }).WaitForAsync();
        await op.GetByTestId("rumour-notes").Filter(new() { HasTextString = "Rebuttal out on Mastodon; shares have stopped" }).WaitForAsync();

        await using var connection = await Database.DataSource.OpenConnectionAsync();
        var actions = (await connection.QueryAsync<(string Actor, string Action)>("""
            SELECT actor, action FROM events WHERE incident_id = @incidentId AND (action LIKE 'rebuttal.%' OR action = 'rumour.status-changed') ORDER BY seq
            """, new { incidentId })).ToList();
        Assert.Equal(
            [
                ("op.a", "rumour.status-changed"), ("op.a", "rumour.status-changed"), ("op.a", "rebuttal.drafted"), ("op.a", "rebuttal.revised"),
                ("op.a", "rebuttal.submitted"), ("approver.b", "rebuttal.approved"), ("op.a", "rebuttal.published"), ("op.a", "rumour.status-changed"),
            ],
            actions);
    }

    private async Task<IPage> PersonAsync(string user, string password, int width, int height)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await page.SignInAsync(user, password);
        return page;
    }

    /// <summary>Whether the element is within the viewport as it stands (no scrolling needed to reach it).</summary>
    private static async Task<bool> InViewAsync(ILocator locator) =>
        await locator.EvaluateAsync<bool>("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }");

    /// <summary>
    /// Saves a screenshot when CRISISDESK_SCREENSHOTS names a folder (the README's pictures), and at every size checks
    /// that the page's own content does not reach past the viewport's width (no sideways scrolling).
    /// </summary>
    /// <summary>The moments of this flow the README shows.</summary>
    private static readonly Dictionary<(string Name, int Width), string> ReadmePictures = new()
    {
        [("rumour-board", 1440)] = "rumour-board",
        [("rebuttal-approval", 1440)] = "rebuttal-approval",
        [("approvals-inbox", 390)] = "approvals-inbox-phone",
    };

    private static async Task ShotAsync(IPage page, string name, int width)
    {
        var overflow = await page.EvaluateAsync<string>("""
            () => [...document.querySelectorAll('[data-testid=rumour-board] *, [data-testid=rebuttals-page] *, [data-testid=approvals-inbox] *')]
                  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length > 0)
                  .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ')
            """);
        Assert.True(overflow.Length == 0, $"{name} at {width} px wide: content reaches past the viewport: {overflow}");
        if (ReadmePictures.TryGetValue((name, width), out var picture))
            await page.ReadmePictureAsync(picture);
        if (Environment.GetEnvironmentVariable("CRISISDESK_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}-{width}.png") });
        }
    }

    private static async Task<int> CreatedIdAsync(IPage page, string path, object body)
    {
        var response = await page.APIRequest.PostAsync(path, new() { DataObject = body, Headers = PageActions.ScriptHeaders });
        Assert.True(response.Status == 201, $"POST {path} answered {response.Status}: {await response.TextAsync()}");
        return (await response.JsonAsync())!.Value.GetProperty("id").GetInt32();
    }
}
