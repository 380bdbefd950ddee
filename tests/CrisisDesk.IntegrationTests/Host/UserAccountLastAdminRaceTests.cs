using System.Security.Claims;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>
/// Two admins demoting each other at the same moment, when they are the only two: one of them stays Admin. A class of
/// its own, since it leaves the factory's admin disabled.
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

    [Fact]
    public async Task Two_admins_demoting_each_other_at_once_cannot_leave_nobody_Admin()
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        var (first, _) = await app.CreateUserAsync(Roles.Admin);
        var (second, _) = await app.CreateUserAsync(Roles.Admin);
        var firstId = await UserIdAsync(first);
        var secondId = await UserIdAsync(second);
        await accounts.SetDisabledAsync(AdminNamed(first), await UserIdAsync(CrisisDeskFactory.AdminUser), disabled: true);

        // The first demotes the second in a transaction that holds the second's row; the second, still Admin as far as
        // anything committed says, demotes the first meanwhile, and counts the Admins once the first's change commits.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("UPDATE users SET role = 'Viewer' WHERE id = @secondId", new { secondId }, theirs);
        var ours = accounts.ChangeRoleAsync(AdminNamed(second), firstId, Roles.Viewer);
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();

        var refused = await Assert.ThrowsAsync<AccountException>(() => ours);
        Assert.Equal("This is the last Admin: make someone else Admin first.", refused.Message);
        Assert.Equal([first], await connection.QueryAsync<string>("SELECT user_name FROM users WHERE role = 'Admin' AND NOT disabled"));
    }
}
