using CrisisDesk.EndToEndTests.Support;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The bell and the inbox in a real browser: a Critical rumour flagged by an operator reaches the admin's open page
/// without a reload (the bell counts it), the inbox says what happened and links to it; the settings page refuses a
/// malformed number at its field and saves good contacts. Pictures at desktop and phone sizes, checked for sideways scroll.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NotificationPagesTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "2000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.15",
        ["CrisisDesk:Notifications:PollInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task A_critical_rumour_rings_the_bell_live_and_the_inbox_and_settings_work_on_desktop_and_phone()
    {
        var admin = await NewPageAsync();
        await admin.SetViewportSizeAsync(1440, 900);
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("olive.op", "Olive", "Operator", "olive.op-password");
        await admin.GotoAsync("/incidents/1");
        await admin.WaitForCircuitAsync();
        var before = int.Parse(await admin.GetByTestId("inbox-count").TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture);

        var op = await NewPageAsync();
        await op.SignInAsync("olive.op", "olive.op-password");
        var created = await op.Context.APIRequest.PostAsync("/api/incidents/1/rumours", new()
        {
            DataObject = new { claim = "The Lower Town bridge has collapsed", severity = "Critical" },
            Headers = PageActions.ScriptHeaders,
        });
        Assert.True(created.Ok, await created.TextAsync());

        // The admin's page was open before: the bell moves by itself.
        await PageActions.EventuallyAsync(async () => int.Parse(await admin.GetByTestId("inbox-count").TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            count => count > before, "the bell counted the new rumour");

        foreach (var (width, height, suffix) in new[] { (1440, 900, "desktop"), (390, 844, "phone") })
        {
            await admin.SetViewportSizeAsync(width, height);
            await admin.GotoAsync("/notifications");
            await admin.WaitForCircuitAsync();
            var item = admin.GetByTestId("inbox-item").Filter(new() { HasText = "The Lower Town bridge has collapsed" }).First;
            await item.WaitForAsync();
            Assert.Contains("olive.op flagged a Critical rumour", await item.TextContentAsync(), StringComparison.Ordinal);
            Assert.StartsWith("/incidents/1/rumours/", await item.GetByTestId("inbox-open").GetAttributeAsync("href"), StringComparison.Ordinal);
            await admin.AssertNoHorizontalScrollAsync($"the inbox at {width}px");
            // The bell is not under the connection chip nor pushed off the bar.
            var bell = (await admin.GetByTestId("inbox-badge").BoundingBoxAsync())!;
            var chip = (await admin.Locator(".connection-slot").BoundingBoxAsync())!;
            Assert.True(bell.X + bell.Width <= chip.X + 1 && bell.X >= 0, $"the bell at {bell.X}..{bell.X + bell.Width} overlaps the connection chip from {chip.X} at {width}px");
            await admin.ScreenshotAsync($"notifications-inbox-{suffix}");

            await admin.GotoAsync("/account/notifications");
            await admin.WaitForCircuitAsync();
            await admin.GetByTestId("settings-save").WaitForAsync();
            await admin.AssertNoHorizontalScrollAsync($"the notification settings at {width}px");
            await admin.ScreenshotAsync($"notification-settings-{suffix}");
        }

        await admin.SetViewportSizeAsync(1440, 900);
        await admin.GetByTestId("settings-email").FillAsync("duty.officer@riverside.example.gov");
        await admin.GetByTestId("settings-phone").FillAsync("07700 900123");
        await admin.GetByTestId("settings-save").ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-input-control").Filter(new() { Has = admin.GetByTestId("settings-phone") })).ToContainTextAsync("is not a phone number in international form");
        await admin.ScreenshotAsync("notification-settings-error");
        await admin.GetByTestId("settings-phone").FillAsync("+44 7700 900123");
        await admin.GetByTestId("settings-save").ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync("Saved");

        // Acknowledging from the inbox is recorded and shown.
        await admin.GotoAsync("/notifications");
        await admin.WaitForCircuitAsync();
        var rumour = admin.GetByTestId("inbox-item").Filter(new() { HasText = "The Lower Town bridge has collapsed" }).First;
        await rumour.GetByTestId("inbox-acknowledge").ClickAsync();
        await Assertions.Expect(rumour.GetByTestId("inbox-acknowledged")).ToBeVisibleAsync();
    }
}
