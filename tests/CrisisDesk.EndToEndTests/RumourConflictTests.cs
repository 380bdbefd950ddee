using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// Two operators in two browsers change the same rumour at the same moment: the second gets a clear conflict showing
/// the rumour as it now stands, the first's change stands, the second's note is kept, and the second can then apply
/// their change to the current version.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RumourConflictTests(BrowserFixture browser) : AppTests(browser)
{
    private const string OperatorPassword = "second-operator-password";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
    };

    [Fact]
    public async Task The_second_of_two_simultaneous_status_changes_shows_the_conflict_with_the_current_state_and_loses_nothing()
    {
        // The admin (who may do all an operator may) adds a second operator, and opens an incident with a rumour over the API.
        var lead = await NewPageAsync();
        await lead.SignInAsync("admin", AdminPassword);
        await lead.AddUserAsync("second.operator", "Second Operator", "Operator", OperatorPassword);
        var incidentId = await CreatedIdAsync(lead, "/api/incidents", new { name = "Bridge collapse, Riverside", keywords = new[] { "bridge" } });
        var rumourId = await CreatedIdAsync(lead, $"/api/incidents/{incidentId}/rumours", new { claim = "The bridge was closed a week ago for cracks", severity = "High" });
        var rumourPage = $"/incidents/{incidentId}/rumours/{rumourId}";

        var second = await NewPageAsync();
        await second.SignInAsync("second.operator", OperatorPassword);
        await second.GotoAsync(rumourPage);
        await second.WaitForCircuitAsync();
        await lead.GotoAsync(rumourPage);
        await lead.WaitForCircuitAsync();
        await lead.GetByTestId("status-Investigating").ClickAsync();
        await second.GetByTestId("rumour-status").Filter(new() { HasTextString = "Investigating" }).WaitForAsync();
        Assert.Equal("2", await second.GetByTestId("rumour-version").InnerTextAsync());

        // Both decide at the same moment, each from version 2: the lead that it is false, the second that it is unverified.
        await lead.Locator("#status-note").FillAsync("The council's inspection log shows no closure");
        await second.Locator("#status-note").FillAsync("A resident's photo shows barriers last Tuesday");
        // Two clicks a few milliseconds apart both reach the server before either commits. To make that moment certain
        // rather than lucky, the test holds the rumour's row lock (as a slow third writer would) until both commands wait on it.
        await using (var holder = await Database.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("SELECT 1 FROM rumours WHERE id = @rumourId FOR UPDATE", new { rumourId }, transaction);
            await lead.GetByTestId("status-ConfirmedFalse").ClickAsync();
            await PageActions.EventuallyAsync(WaitingOnTheRumourAsync, n => n == 1, "the lead's change to wait for the rumour's row");
            await second.GetByTestId("status-Unverified").ClickAsync();
            await PageActions.EventuallyAsync(WaitingOnTheRumourAsync, n => n == 2, "the second's change to wait behind it");
            await transaction.CommitAsync();
        }

        // The lead's change, first in line, stands.
        await lead.GetByTestId("rumour-status").Filter(new() { HasTextString = "Confirmed false" }).WaitForAsync();
        // The second sees the conflict and the rumour as it now stands; their note is still in the box.
        var conflict = second.GetByTestId("rumour-conflict");
        await conflict.WaitForAsync();
        var conflictText = await conflict.InnerTextAsync();
        Assert.Contains("Someone else changed this rumour first", conflictText, StringComparison.Ordinal);
        Assert.Contains("it is now version 3, status Confirmed false, you had version 2", conflictText, StringComparison.Ordinal);
        Assert.Contains("move to Unverified", conflictText, StringComparison.Ordinal);
        Assert.Equal("Confirmed false", await second.GetByTestId("rumour-status").InnerTextAsync());
        Assert.Equal("3", await second.GetByTestId("rumour-version").InnerTextAsync());
        Assert.Equal("A resident's photo shows barriers last Tuesday", await second.Locator("#status-note").InputValueAsync());
        await second.GetByTestId("rumour-notes").Filter(new() { HasTextString = "The council's inspection log shows no closure" }).WaitForAsync();
        Assert.Equal(0, await lead.GetByTestId("rumour-conflict").CountAsync());

        // From the current state the second reopens it with their note (Unverified is not a step from Confirmed false).
        Assert.Equal(0, await second.GetByTestId("status-Unverified").CountAsync());
        await second.GetByTestId("status-Investigating").ClickAsync();
        await second.GetByTestId("rumour-status").Filter(new() { HasTextString = "Investigating" }).WaitForAsync();
        await conflict.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await lead.GetByTestId("rumour-status").Filter(new() { HasTextString = "Investigating" }).WaitForAsync();
        await lead.GetByTestId("rumour-notes").Filter(new() { HasTextString = "A resident's photo shows barriers last Tuesday" }).WaitForAsync();
        Assert.Equal("4", await lead.GetByTestId("rumour-version").InnerTextAsync());

        // The log holds both people's changes, in order, each once; the refused one changed nothing.
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        var changes = (await connection.QueryAsync<(string Actor, string From, string To, string Note)>("""
            SELECT actor, payload->>'from', payload->>'to', payload->>'note' FROM events
             WHERE action = 'rumour.status-changed' AND (payload->>'rumourId')::int = @rumourId ORDER BY seq
            """, new { rumourId })).ToList();
        Assert.Equal(
            [
                ("admin", "New", "Investigating", ""),
                ("admin", "Investigating", "ConfirmedFalse", "The council's inspection log shows no closure"),
                ("second.operator", "ConfirmedFalse", "Investigating", "A resident's photo shows barriers last Tuesday"),
            ],
            changes);
    }

    /// <summary>Backends of this database waiting on a lock to read the rumour for update.</summary>
    private async Task<long> WaitingOnTheRumourAsync()
    {
        // Any statement of this test's database waiting on a lock: only the held rumour row can make one wait here. (The
        // commands now go through EF Core, so the waiting statement's text is not one this test should spell out.)
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND pid <> pg_backend_pid()
            """);
    }

    /// <summary>POSTs JSON with the page's sign-in cookie and returns the created resource's id.</summary>
    private static async Task<int> CreatedIdAsync(IPage page, string path, object body)
    {
        var response = await page.APIRequest.PostAsync(path, new() { DataObject = body, Headers = PageActions.ScriptHeaders });
        Assert.True(response.Status == 201, $"POST {path} answered {response.Status}: {await response.TextAsync()}");
        return (await response.JsonAsync())!.Value.GetProperty("id").GetInt32();
    }
}
