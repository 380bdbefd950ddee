using System.Text.Json;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Alerts;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// An emergency alert's life in real browsers, two people, on a desk and on a phone: an Operator composes it from a
/// preset and submits it, cannot approve it; an Approver approves it from the decision card at the top of the alert
/// (after a confirmation naming the channels); the public CAP feed shows it and its CAP document is valid; an Update
/// supersedes it and a Cancel ends it, and the page shows the versions in order.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AlertApprovalTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
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

    private async Task<IPage> PageAsync(int width, int height)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        return page;
    }

    /// <summary>The element is inside the viewport as the page stands, without scrolling.</summary>
    private static async Task AssertOnScreenAsync(IPage page, ILocator element, string what)
    {
        var box = await element.BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException($"{what} is not rendered");
        var viewport = page.ViewportSize!;
        Assert.True(box.Y >= 0 && box.Y + box.Height <= viewport.Height && box.X >= 0 && box.X + box.Width <= viewport.Width,
            $"{what} is at ({box.X}, {box.Y}) size {box.Width}x{box.Height}, outside the {viewport.Width}x{viewport.Height} viewport");
    }

    private static async Task AssertNoSidewaysScrollAsync(IPage page)
    {
        // The alerts page itself must fit; the shell's header is measured by its own tests.
        var overflow = await page.EvaluateAsync<int>("() => { const p = document.querySelector('.alerts-page'); return p.scrollWidth - p.clientWidth; }");
        Assert.True(overflow <= 0, $"the alerts page is {overflow}px wider than its column");
    }

    /// <summary>Approves from the decision card at the top of the alert, through the confirmation dialog.</summary>
    private static async Task ApproveAsync(IPage approver, string alertUrl, string comment, string confirmTitle, string? readmePicture = null)
    {
        await approver.GotoAsync(alertUrl);
        await approver.WaitForCircuitAsync();
        var approve = approver.GetByTestId("approve");
        await approve.WaitForAsync();
        await AssertOnScreenAsync(approver, approve.Locator(".."), "the decision card's Approve button");
        // Nothing has failed yet, so the card shows no error (it once showed the field's name, "_error", as one).
        Assert.Equal(0, await approver.GetByTestId("decision-error").CountAsync());
        if (readmePicture is not null)
            await approver.ReadmePictureAsync(readmePicture);
        await approver.GetByTestId("decision-comment").FillAsync(comment);
        await approve.ClickAsync();
        var dialog = approver.GetByRole(AriaRole.Dialog);
        await dialog.GetByText(confirmTitle).WaitForAsync();
        Assert.Contains("Public CAP feed", await dialog.InnerTextAsync(), StringComparison.Ordinal);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Approve and issue" }).ClickAsync();
        await approver.GetByText("Approved and issued to:").First.WaitForAsync();
        await approver.GetByTestId("issued-note").WaitForAsync();
    }

    private static async Task SubmitAsync(IPage page)
    {
        var submit = page.GetByTestId("submit");
        await AssertOnScreenAsync(page, submit, "Submit for approval (the sticky action bar)");
        await submit.ClickAsync();
        await page.GetByText("Submitted: another person").First.WaitForAsync();
        await page.GetByTestId("alert-state").Filter(new() { HasText = "Waiting for approval" }).WaitForAsync();
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task An_operator_composes_from_a_preset_an_approver_issues_it_from_the_decision_card_and_an_update_and_a_cancel_follow(int width, int height)
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("op.one", "op.one", "Operator", "op.one-password");
        await admin.AddUserAsync("approver.one", "approver.one", "Approver", "approver.one-password");

        var op = await PageAsync(width, height);
        await op.SignInAsync("op.one", "op.one-password");
        var opened = await op.Context.APIRequest.PostAsync("/api/incidents", new() { DataObject = new { name = "River Ouse flood" }, Headers = PageActions.ScriptHeaders });
        var incidentId = JsonDocument.Parse(await opened.TextAsync()).RootElement.GetProperty("id").GetInt32();

        // The Operator starts from the flood-warning preset and adds what a preset cannot know: headline, area.
        await op.GotoAsync($"/incidents/{incidentId}/alerts");
        await op.WaitForCircuitAsync();
        await op.GetByTestId("new-alert").ClickAsync();
        await op.GetByTestId("preset-flood-warning").ClickAsync();
        await Assertions.Expect(op.GetByLabel("Event (CAP event)")).ToHaveValueAsync("Flood warning");
        await TypeAsync(op, "Headline (CAP headline)", "Evacuate Lower Town now");
        await TypeAsync(op, "Area 1: name (CAP areaDesc)", "Lower Town");
        // A half-typed polygon is explained under its field before anything is saved.
        await TypeAsync(op, "Polygons (CAP polygon)", "53.959,-1.0815 53.962,-1.07 53.955,-1.065");
        await op.GetByTestId("problems-info[1].area[1].polygon").GetByText("it needs at least 4").WaitForAsync();
        await TypeAsync(op, "Polygons (CAP polygon)", "53.959,-1.0815 53.962,-1.07 53.955,-1.065 53.959,-1.0815");
        // The map drew the half-typed triangle already: what says the closed ring was taken is its problem going away.
        await Assertions.Expect(op.GetByTestId("problems-info[1].area[1].polygon")).ToHaveCountAsync(0);
        await op.GetByTestId("map-info[1].area[1]").Locator(".leaflet-overlay-pane path").First.WaitForAsync();
        await AssertNoSidewaysScrollAsync(op);
        if (width == 1440)
            await op.ReadmePictureAsync("alert-composer");
        await SubmitAsync(op);
        await op.WaitForURLAsync(new Regex(@"/alerts/\d+$"));
        var alertUrl = new Uri(op.Url).AbsolutePath;
        var alertId = int.Parse(alertUrl[(alertUrl.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        // The Operator sees the decision card but no Approve; the server refuses the command itself.
        await op.GetByTestId("needs-approver").WaitForAsync();
        Assert.Equal(0, await op.GetByTestId("approve").CountAsync());
        var selfApproval = await op.Context.APIRequest.PostAsync($"/api/alerts/{alertId}/approve", new() { DataObject = new { comment = "mine" }, Headers = PageActions.ScriptHeaders });
        Assert.Equal(403, selfApproval.Status);

        var approver = await PageAsync(width, height);
        await approver.SignInAsync("approver.one", "approver.one-password");
        await ApproveAsync(approver, alertUrl, "Checked with the Environment Agency", "Issue a real alert to the public?", width == 1440 ? "alert-approval" : null);
        await approver.Locator("[data-channel=cap-feed][data-status=succeeded]").WaitForAsync();
        Assert.Contains("<title>Evacuate Lower Town now</title>", await FeedAsync(), StringComparison.Ordinal);
        var identifier = JsonDocument.Parse(await (await op.Context.APIRequest.GetAsync($"/api/alerts/{alertId}")).TextAsync())
            .RootElement.GetProperty("alert").GetProperty("identifier").GetString()!;
        using (var anonymous = new HttpClient { BaseAddress = App.BaseAddress })
        {
            var published = await anonymous.GetStringAsync($"/cap/alerts/{Uri.EscapeDataString(identifier)}.xml");
            var problems = CapValidator.Validate(published);
            Assert.True(problems.IsValid(), string.Join("; ", problems));
            Assert.Contains("<event>Flood warning</event>", published, StringComparison.Ordinal);
        }

        // Update: drafted from the issued alert; the approver sees what changed before issuing it.
        await op.GotoAsync(alertUrl);
        await op.WaitForCircuitAsync();
        await op.GetByTestId("draft-update").ClickAsync();
        await op.WaitForURLAsync(url => !url.EndsWith(alertUrl, StringComparison.Ordinal));
        await op.WaitForCircuitAsync();
        var updateUrl = new Uri(op.Url).AbsolutePath;
        await TypeAsync(op, "Headline (CAP headline)", "Evacuate Lower Town and Quay Street now");
        await SubmitAsync(op);
        await approver.GotoAsync(updateUrl);
        await approver.WaitForCircuitAsync();
        Assert.Contains("Evacuate Lower Town and Quay Street now", await approver.GetByTestId("decision-changes").InnerTextAsync(), StringComparison.Ordinal);
        await ApproveAsync(approver, updateUrl, "Zone has grown", "Issue this update?");
        await PageActions.EventuallyAsync(FeedAsync, feed => feed.Contains("Evacuate Lower Town and Quay Street now", StringComparison.Ordinal), "the update in the feed");
        var afterUpdate = await FeedAsync();
        Assert.DoesNotContain("<title>Evacuate Lower Town now</title>", afterUpdate, StringComparison.Ordinal);
        Assert.Contains("<cap:msgType>Update</cap:msgType>", afterUpdate, StringComparison.Ordinal);

        // Cancel: drafting it asks first; issuing it says it withdraws the alert.
        await op.GotoAsync(updateUrl);
        await op.WaitForCircuitAsync();
        await op.GetByTestId("draft-cancel").ClickAsync();
        await op.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Draft the cancellation" }).ClickAsync();
        await op.WaitForURLAsync(url => !url.EndsWith(updateUrl, StringComparison.Ordinal));
        await op.WaitForCircuitAsync();
        var cancelUrl = new Uri(op.Url).AbsolutePath;
        await TypeAsync(op, "Headline (CAP headline)", "All clear: Lower Town flood warning cancelled");
        await SubmitAsync(op);
        await ApproveAsync(approver, cancelUrl, "Water receding", "Cancel this alert for everyone?");
        await PageActions.EventuallyAsync(FeedAsync, feed => feed.Contains("<cap:msgType>Cancel</cap:msgType>", StringComparison.Ordinal), "the cancel in the feed");
        Assert.DoesNotContain("Evacuate Lower Town and Quay Street now", await FeedAsync(), StringComparison.Ordinal);

        // The versions read in order, with their state in words.
        await op.GotoAsync(cancelUrl);
        await op.WaitForCircuitAsync();
        var versions = op.GetByTestId("thread-history").Locator("[data-msgtype]");
        await versions.Nth(2).WaitForAsync();
        Assert.Equal(["Alert", "Update", "Cancel"], await versions.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.msgtype)"));
        Assert.All(await versions.AllInnerTextsAsync(), text => Assert.Contains("Issued", text, StringComparison.Ordinal));
        Assert.Equal(0, await op.GetByTestId("draft-update").CountAsync());
        await AssertNoSidewaysScrollAsync(op);
    }

    [Fact]
    public async Task A_new_alert_from_a_rumour_starts_with_its_claim()
    {
        var page = await NewPageAsync();
        await page.SignInAsync("admin", AdminPassword);
        var opened = await page.Context.APIRequest.PostAsync("/api/incidents", new() { DataObject = new { name = "Water scare" }, Headers = PageActions.ScriptHeaders });
        var incidentId = JsonDocument.Parse(await opened.TextAsync()).RootElement.GetProperty("id").GetInt32();
        var created = await page.Context.APIRequest.PostAsync($"/api/incidents/{incidentId}/rumours",
            new() { DataObject = new { claim = "The tap water in Riverside is poisoned", severity = "High" }, Headers = PageActions.ScriptHeaders });
        Assert.True(created.Ok, await created.TextAsync());
        var rumourId = JsonDocument.Parse(await created.TextAsync()).RootElement.GetProperty("id").GetInt32();

        await page.GotoAsync($"/incidents/{incidentId}/alerts?rumour={rumourId}");
        await page.WaitForCircuitAsync();

        await page.GetByTestId("from-rumour-note").WaitForAsync();
        Assert.Equal("The tap water in Riverside is poisoned", await page.GetByLabel("Headline (CAP headline)").InputValueAsync());
        Assert.Contains("The tap water in Riverside is poisoned", await page.GetByLabel("Description (CAP description)").InputValueAsync(), StringComparison.Ordinal);
    }
}
