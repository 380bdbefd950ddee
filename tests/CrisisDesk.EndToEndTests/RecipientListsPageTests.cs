using System.Text;
using CrisisDesk.EndToEndTests.Support;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// The Admin's recipient lists page in Chromium: a list is created, a CSV file with bad lines is imported through the
/// page's file picker, and the report names each rejected line while the good ones appear; at a desktop and a phone
/// size, the page passes axe and does not scroll sideways.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RecipientListsPageTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "2000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.15",
    };

    private const string Csv = """
        name,phone
        Ann Jones,+44 7700 900123
        Bob Smith,07700 900456
        Carol White,0044 7700 900789
        Ann again,+447700900123
        """;

    [Fact]
    public async Task An_admin_imports_a_csv_through_the_page_and_sees_each_rejected_line_at_desktop_and_phone_sizes()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await page.SignInAsync("admin", AdminPassword);
        await page.GotoAsync("/admin/lists");
        await page.WaitForCircuitAsync();
        await page.Locator("h1", new() { HasText = "Recipient lists" }).WaitForAsync();

        await page.Locator("#new-list-name").FillAsync("Riverside residents (SMS)");
        await page.GetByTestId("new-list-sms").ClickAsync();
        await page.GetByTestId("create-list").ClickAsync();
        await Assertions.Expect(page.GetByTestId("list-title")).ToHaveTextAsync("Riverside residents (SMS)");

        await page.GetByTestId("import-csv").Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "residents.csv",
            MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes(Csv.Replace("\r\n", "\n", StringComparison.Ordinal)),
        });
        await Assertions.Expect(page.GetByTestId("import-summary")).ToContainTextAsync("Added 2 recipients. 2 lines not taken:");
        var rejected = page.GetByTestId("rejected-line");
        await Assertions.Expect(rejected).ToHaveCountAsync(2);
        await Assertions.Expect(rejected.Nth(0)).ToContainTextAsync("3");
        await Assertions.Expect(rejected.Nth(0)).ToContainTextAsync("07700 900456");
        await Assertions.Expect(rejected.Nth(0)).ToContainTextAsync("not in international form");
        await Assertions.Expect(rejected.Nth(1)).ToContainTextAsync("duplicate");
        await Assertions.Expect(page.GetByTestId("recipient-address")).ToHaveTextAsync(["+447700900123", "+447700900789"]);

        foreach (var (width, height) in new[] { (1440, 900), (390, 844) })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.GetByTestId("import-report").WaitForAsync();
            await page.AssertNoSeriousAxeViolationsAsync($"recipient lists at {width}x{height}");
            await page.AssertNoHorizontalScrollAsync($"recipient lists at {width}x{height}");
            await page.ScreenshotAsync($"recipient-lists-{width}x{height}");
        }
        await page.SetViewportSizeAsync(1440, 900);
        await page.ReadmePictureAsync("recipient-lists");
    }
}
