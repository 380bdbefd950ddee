using System.Security.Claims;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// Two admins demoting or disabling each other at the same moment, when they are the only two: one of them stays an
/// enabled Admin. A class of its own: each test disables every other Admin, the factory's own only until it ends.
/// </summary>
public sealed class UserAccountLastAdminRaceTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static ClaimsPrincipal AdminNamed(string name) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));

    private async Task<int> UserIdAsync(string userName)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT id FROM users WHERE user_name = @userName", new { userName });
    }

    /// <summary>Disables every other Admin; the factory's own comes back when disposed (the next test creates users with it).</summary>
    private async Task<IAsyncDisposable> OnlyTheseAdminsAsync(params int[] ids)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE users SET disabled = true WHERE role = 'Admin' AND id <> ALL(@ids)", new { ids });
        return new Restore(app);
    }

    private sealed class Restore(CrisisDeskFactory app) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var connection = await app.Database.DataSource.OpenConnectionAsync();
            await connection.ExecuteAsync("UPDATE users SET disabled = false, role = 'Admin' WHERE user_name = @name", new { name = CrisisDeskFactory.AdminUser });
        }
    }

    [Fact]
    public async Task Two_admins_demoting_each_other_at_once_cannot_leave_nobody_Admin()
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        var (first, _) = await app.CreateUserAsync(Roles.Admin);
        var (second, _) = await app.CreateUserAsync(Roles.Admin);
        var firstId = await UserIdAsync(first);
        var secondId = await UserIdAsync(second);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var onlyThese = await OnlyTheseAdminsAsync(firstId, secondId);

        // The first demotes the second in a transaction that holds the second's row; the second, still Admin as far as
        // anything committed says, demotes the first meanwhile, and counts the Admins once the first's change commits.
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("UPDATE users SET role = 'Viewer' WHERE id = @secondId", new { secondId }, theirs);
        var ours = accounts.ChangeRoleAsync(AdminNamed(second), firstId, Roles.Viewer);
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();

        var refused = await Assert.ThrowsAsync<AccountException>(() => ours);
        Assert.Equal("This is the last Admin: make someone else Admin first.", refused.Message);
        Assert.Equal([first], await connection.QueryAsync<string>("SELECT user_name FROM users WHERE role = 'Admin' AND NOT disabled"));
    }

    [Fact]
    public async Task Two_admins_disabling_each_other_at_once_cannot_leave_no_enabled_Admin()
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        var (first, _) = await app.CreateUserAsync(Roles.Admin);
        var (second, _) = await app.CreateUserAsync(Roles.Admin);
        var firstId = await UserIdAsync(first);
        var secondId = await UserIdAsync(second);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var onlyThese = await OnlyTheseAdminsAsync(firstId, secondId);

        // The first disables the second in a transaction that holds the second's row; the second disables the first
        // meanwhile, and counts the enabled Admins once the first's change commits.
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("UPDATE users SET disabled = true WHERE id = @secondId", new { secondId }, theirs);
        var ours = accounts.SetDisabledAsync(AdminNamed(second), firstId, disabled: true);
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();

        var refused = await Assert.ThrowsAsync<AccountException>(() => ours);
        Assert.Equal("This is the last enabled Admin: make someone else Admin first.", refused.Message);
        Assert.Equal([first], await connection.QueryAsync<string>("SELECT user_name FROM users WHERE role = 'Admin' AND NOT disabled"));
    }

    [Fact]
    public async Task A_disabled_Admin_can_be_demoted_by_the_only_enabled_one()
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        var (first, _) = await app.CreateUserAsync(Roles.Admin);
        var (leaver, _) = await app.CreateUserAsync(Roles.Admin);
        var firstId = await UserIdAsync(first);
        var leaverId = await UserIdAsync(leaver);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var onlyThese = await OnlyTheseAdminsAsync(firstId, leaverId);
        await accounts.SetDisabledAsync(AdminNamed(first), leaverId, disabled: true);

        // Demoting a disabled Admin takes no enabled Admin away: it is not "the last Admin".
        await accounts.ChangeRoleAsync(AdminNamed(first), leaverId, Roles.Viewer);

        Assert.Equal(Roles.Viewer, await connection.ExecuteScalarAsync<string>("SELECT role FROM users WHERE id = @leaverId", new { leaverId }));
    }
}
