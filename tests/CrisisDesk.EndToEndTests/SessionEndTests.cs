using CrisisDesk.EndToEndTests.Support;
using Dapper;

namespace CrisisDesk.EndToEndTests;

/// <summary>An open page (a Blazor circuit) of a person whose account is disabled ends, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SessionEndTests(BrowserFixture browser) : AppTests(browser)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Sessions:CircuitRevalidation"] = "00:00:01",
    };

    [Fact]
    public async Task The_open_page_of_a_user_disabled_elsewhere_is_sent_to_sign_in()
    {
        var admin = await NewPageAsync();
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("viewer.one", "viewer.one", "Viewer", "viewer.one-password");
        var viewer = await NewPageAsync();
        await viewer.SignInAsync("viewer.one", "viewer.one-password");
        await viewer.WaitForCircuitAsync();
        Assert.DoesNotContain("/login", viewer.Url, StringComparison.Ordinal);

        // Disabled straight in the database, as another instance of the app would: only revalidation can notice.
        await using (var connection = await Database.DataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("UPDATE users SET disabled = true WHERE user_name = 'viewer.one'");

        await viewer.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal), new() { Timeout = 20_000 });
        await viewer.GotoAsync("/");
        Assert.Contains("/login", viewer.Url, StringComparison.Ordinal);
    }
}
