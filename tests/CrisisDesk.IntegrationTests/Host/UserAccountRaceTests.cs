using System.Security.Claims;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// An admin's change to an account that another admin changes at the same moment. The other change is made in an open
/// transaction that holds the row; the command is started, and once it waits for the row the other change commits: the
/// command's save finds the row's xmin moved and runs again on the account as it now is. Both changes land, in order,
/// and each event says what it really changed from.
/// </summary>
public sealed class UserAccountRaceTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static readonly ClaimsPrincipal Admin = CrisisDeskFactory.Admin;

    private UserAccounts Accounts => app.Services.GetRequiredService<UserAccounts>();

    private async Task<int> UserIdAsync(string userName)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT id FROM users WHERE user_name = @userName", new { userName });
    }

    /// <summary>Changes the account in a transaction of its own, starts the command, and commits the change once the command waits for the row.</summary>
    private async Task WhileAnotherAdminChangesAsync(int userId, string theirChange, Func<Task> command)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(theirChange, new { userId }, theirs);
        var ours = command();
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();
        await ours;
    }

    [Fact]
    public async Task A_role_change_over_another_admins_change_to_the_same_account_lands_after_it_and_records_what_it_changed_from()
    {
        var (approver, _) = await app.CreateUserAsync(Roles.Approver);
        var userId = await UserIdAsync(approver);

        await WhileAnotherAdminChangesAsync(userId, "UPDATE users SET role = 'Viewer' WHERE id = @userId",
            () => Accounts.ChangeRoleAsync(Admin, userId, Roles.Operator));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(Roles.Operator, await connection.ExecuteScalarAsync<string>("SELECT role FROM users WHERE id = @userId", new { userId }));
        var recorded = await connection.QuerySingleAsync<(string From, string To)>(
            "SELECT payload->>'from', payload->>'to' FROM events WHERE action = 'user.role-changed' AND payload->>'userName' = @approver", new { approver });
        Assert.Equal((Roles.Viewer, Roles.Operator), recorded);
    }

    [Fact]
    public async Task Disabling_an_account_another_admin_disabled_at_the_same_moment_records_it_once()
    {
        var (viewer, _) = await app.CreateUserAsync(Roles.Viewer);
        var userId = await UserIdAsync(viewer);

        await WhileAnotherAdminChangesAsync(userId, "UPDATE users SET disabled = true WHERE id = @userId",
            () => Accounts.SetDisabledAsync(Admin, userId, disabled: true));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT disabled FROM users WHERE id = @userId", new { userId }));
        // The other admin's change was the one that disabled it: this command found nothing left to do.
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'user.disabled' AND payload->>'userName' = @viewer", new { viewer }));
    }
}
