using System.Text.Json;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// An emergency alert's life in real browsers, two people: an Operator drafts it and cannot approve it, an Approver
/// approves it, the public CAP feed shows it, an Update supersedes it and a Cancel ends it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AlertApprovalTests(BrowserFixture browser) : AppTests(browser)
{

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Publishing:PublicBaseUrl"] = "https://alerts.riverside.example.gov/",
        ["CrisisDesk:Publishing:Sender"] = "alerts@riverside.example.gov",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.200",
    };

    private static async Task TypeAsync(IPage page, string label, string text)
    {
        var field = page.GetByLabel(label).First;
        await field.FillAsync(text);
        await field.PressAsync("Tab");
    }

    private async Task<string> FeedAsync()
    {
        using var anonymous = new HttpClient { BaseAddress = App.BaseAddress };
        return await anonymous.GetStringAsync("/cap/feed.atom");
    }

    private async Task ApproveAsync(IPage approver, string alertUrl, string comment)
    {
        await approver.GotoAsync(alertUrl);
        await approver.WaitForCircuitAsync();
        await TypeAsync(approver, "Comment", comment);
        await approver.GetByRole(AriaRole.Button, new() { Name = "Approve and issue" }).ClickAsync();
        await approver.GetByText("Approved and issued to every channel.").WaitForAsync();
    }

    private static async Task SubmitAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit for approval" }).ClickAsync();
        await page.GetByText("Submitted: another person").WaitForAsync();
    }

    [Fact]
    public async Task An_operator_drafts_an_approver_approves_the_feed_shows_it_and_an_update_and_a_cancel_follow()
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("op.one", "op.one", "Operator", "op.one-password");
        await admin.AddUserAsync("approver.one", "approver.one", "Approver", "approver.one-password");

        var op = await NewPageAsync();
        await op.SignInAsync("op.one", "op.one-password");
        var opened = await op.Context.APIRequest.PostAsync("/api/incidents", new() { DataObject = new { name = "River Ouse flood" } });
        var incidentId = JsonDocument.Parse(await opened.TextAsync()).RootElement.GetProperty("id").GetInt32();

        // The Operator composes the alert with the keyboard-reachable form.
        await op.GotoAsync($"/incidents/{incidentId}/alerts");
        await op.WaitForCircuitAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "New alert" }).ClickAsync();
        await TypeAsync(op, "Event", "River flooding");
        await TypeAsync(op, "Headline", "Evacuate Lower Town now");
        await TypeAsync(op, "Instruction", "Leave by the A59.");
        await TypeAsync(op, "Area description", "Lower Town");
        await TypeAsync(op, "Polygons", "53.959,-1.0815 53.962,-1.07 53.955,-1.065 53.959,-1.0815");
        await op.Locator("svg.area-outline polygon").WaitForAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await op.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/alerts/\d+$"));
        var alertUrl = new Uri(op.Url).AbsolutePath;
        var alertId = int.Parse(alertUrl[(alertUrl.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await op.WaitForCircuitAsync();
        await SubmitAsync(op);

        // The same Operator cannot approve it: no approve control, and the server refuses the command itself.
        Assert.Equal(0, await op.GetByRole(AriaRole.Button, new() { Name = "Approve and issue" }).CountAsync());
        var selfApproval = await op.Context.APIRequest.PostAsync($"/api/alerts/{alertId}/approve", new() { DataObject = new { comment = "mine" } });
        Assert.Equal(403, selfApproval.Status);

        var approver = await NewPageAsync();
        await approver.SignInAsync("approver.one", "approver.one-password");
        await ApproveAsync(approver, alertUrl, "Checked with the Environment Agency");
        await approver.Locator("[data-channel=cap-feed][data-status=succeeded]").WaitForAsync();
        Assert.Contains("<title>Evacuate Lower Town now</title>", await FeedAsync(), StringComparison.Ordinal);

        // Update: drafted from the issued alert, approved, and it replaces the alert in the feed.
        await op.GotoAsync(alertUrl);
        await op.WaitForCircuitAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "Draft an update" }).ClickAsync();
        await op.WaitForURLAsync(url => !url.EndsWith(alertUrl, StringComparison.Ordinal));
        await op.WaitForCircuitAsync();
        var updateUrl = new Uri(op.Url).AbsolutePath;
        await TypeAsync(op, "Headline", "Evacuate Lower Town and Quay Street now");
        await SubmitAsync(op);
        await ApproveAsync(approver, updateUrl, "Zone has grown");
        await PageActions.EventuallyAsync(FeedAsync, feed => feed.Contains("Evacuate Lower Town and Quay Street now", StringComparison.Ordinal), "the update in the feed");
        var afterUpdate = await FeedAsync();
        Assert.DoesNotContain("<title>Evacuate Lower Town now</title>", afterUpdate, StringComparison.Ordinal);
        Assert.Contains("<cap:msgType>Update</cap:msgType>", afterUpdate, StringComparison.Ordinal);

        // Cancel: ends the thread; the feed says so.
        await op.GotoAsync(updateUrl);
        await op.WaitForCircuitAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "Draft a cancel" }).ClickAsync();
        await op.WaitForURLAsync(url => !url.EndsWith(updateUrl, StringComparison.Ordinal));
        await op.WaitForCircuitAsync();
        var cancelUrl = new Uri(op.Url).AbsolutePath;
        await TypeAsync(op, "Headline", "All clear: Lower Town flood warning cancelled");
        await SubmitAsync(op);
        await ApproveAsync(approver, cancelUrl, "Water receding");
        await PageActions.EventuallyAsync(FeedAsync, feed => feed.Contains("<cap:msgType>Cancel</cap:msgType>", StringComparison.Ordinal), "the cancel in the feed");
        Assert.DoesNotContain("Evacuate Lower Town and Quay Street now", await FeedAsync(), StringComparison.Ordinal);

        // The thread reads in order on the page.
        await op.GotoAsync(cancelUrl);
        await op.WaitForCircuitAsync();
        await op.Locator(".thread-history li").Nth(2).WaitForAsync();
        var history = await op.Locator(".thread-history li").AllInnerTextsAsync();
        Assert.Equal(["Alert", "Update", "Cancel"], history.Select(h => h.Split(' ')[0]).ToArray());
    }
}
