using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>Two operators in two browsers triage the replayed Germanwings incident together and see each other's actions live.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TriageTogetherTests(BrowserFixture browser) : AppTests(browser)
{
    private const string OperatorPassword = "second-operator-password";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:Speed"] = "4000",
        ["CrisisDesk:Drill:MaxGapSeconds"] = "0.05",
    };

    [Fact]
    public async Task Search_open_a_story_flag_a_rumour_and_move_it_through_its_statuses_while_the_other_operator_watches()
    {
        // The admin (who may do all an operator may) adds a second operator.
        var lead = await NewPageAsync();
        await lead.SignInAsync("admin", AdminPassword);
        await lead.AddUserAsync("second.operator", "Second Operator", "Operator", OperatorPassword);

        var second = await NewPageAsync();
        await second.SignInAsync("second.operator", OperatorPassword);
        await second.GotoAsync("/incidents/1");
        await second.WaitForCircuitAsync();
        await lead.GotoAsync("/incidents/1");
        await lead.WaitForCircuitAsync();
        await PageActions.EventuallyAsync(lead.FeedTotalAsync, total => total >= 200, "most of the drill to arrive", TimeSpan.FromSeconds(120));

        // Search from the keyboard: "/" focuses the search box; matches are highlighted.
        await lead.Locator("[data-testid=feed]").ClickAsync();
        await lead.Keyboard.PressAsync("/");
        await lead.Keyboard.TypeAsync("convert");
        await lead.Keyboard.PressAsync("Enter");
        var matches = await PageActions.EventuallyAsync(lead.FeedTotalAsync, total => total is > 0 and < 100, "the search to narrow the feed");
        await lead.Locator("[data-testid=feed] article.post mark").First.WaitForAsync();
        Assert.Equal("convert", (await lead.Locator("[data-testid=feed] article.post mark").First.InnerTextAsync()).ToLowerInvariant());

        // Keyboard triage: j selects the newest match, m marks it reviewed; the other operator sees it in the team activity.
        await lead.Locator("[data-testid=feed]").ClickAsync(new() { Position = new Position { X = 5, Y = 5 } });
        await lead.Keyboard.PressAsync("j");
        await lead.Locator("article.post.selected").WaitForAsync();
        await lead.Keyboard.PressAsync("m");
        await second.Locator("[data-testid=activity-item]", new() { HasTextString = "admin reviewed post" }).WaitForAsync();

        // Open the largest story and flag it as a rumour.
        await lead.GetByTestId("filters-clear").ClickAsync();
        await lead.Locator("[data-testid=story-open]").First.ClickAsync();
        await lead.GetByTestId("story-panel").WaitForAsync();
        Assert.True(await lead.Locator("[data-testid=story-members] li").CountAsync() >= 2);
        await lead.GetByTestId("story-flag").ClickAsync();
        await lead.GetByTestId("rumour-claim").FillAsync("The co-pilot was a convert to Islam");
        await lead.GetByTestId("rumour-severity").GetByText("High", new() { Exact = true }).ClickAsync();
        await lead.GetByTestId("rumour-create").ClickAsync();
        await lead.GetByText("Rumour #1 created.").WaitForAsync();
        await second.Locator("[data-testid=activity-item]", new() { HasTextString = "created rumour 1" }).WaitForAsync();

        // Both open the rumour: each sees the other looking at it.
        await second.GotoAsync("/incidents/1/rumours/1");
        await second.WaitForCircuitAsync();
        await lead.GotoAsync("/incidents/1/rumours/1");
        await lead.WaitForCircuitAsync();
        await second.GetByTestId("detail-viewers").Filter(new() { HasTextString = "admin" }).WaitForAsync();
        await lead.GetByTestId("detail-viewers").Filter(new() { HasTextString = "second.operator" }).WaitForAsync();
        Assert.Equal("New", await lead.GetByTestId("rumour-status").InnerTextAsync());
        await lead.Locator("[data-testid=spread-chart] svg").First.WaitForAsync();

        // They move it through its statuses; each sees the other's change without reloading.
        await second.Locator("#status-note").FillAsync("checking with the prosecutor's office");
        await second.GetByTestId("status-Investigating").ClickAsync();
        await lead.GetByTestId("rumour-status").Filter(new() { HasTextString = "Investigating" }).WaitForAsync();
        await lead.GetByTestId("status-ConfirmedFalse").ClickAsync();
        await second.GetByTestId("rumour-status").Filter(new() { HasTextString = "Confirmed false" }).WaitForAsync();
        await second.GetByTestId("status-Resolved").ClickAsync();
        await lead.GetByTestId("rumour-status").Filter(new() { HasTextString = "Resolved" }).WaitForAsync();
        await lead.GetByTestId("rumour-notes").Filter(new() { HasTextString = "checking with the prosecutor's office" }).WaitForAsync();
        Assert.Equal("4", await second.GetByTestId("rumour-version").InnerTextAsync());
        Assert.True(matches > 0);
    }
}
