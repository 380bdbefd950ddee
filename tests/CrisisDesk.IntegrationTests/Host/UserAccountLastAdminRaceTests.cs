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

    /// <summary>
    /// Two new Admins, every other one disabled; disposing the result brings the factory's own admin back (the next
    /// test creates its users with it).
    /// </summary>
    private async Task<TwoAdmins> OnlyTwoAdminsAsync()
    {
        var (first, _) = await app.CreateUserAsync(Roles.Admin);
        var (second, _) = await app.CreateUserAsync(Roles.Admin);
        var admins = new TwoAdmins(app, first, await UserIdAsync(first), second, await UserIdAsync(second));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE users SET disabled = true WHERE role = 'Admin' AND id <> ALL(@ids)", new { ids = new[] { admins.FirstId, admins.SecondId } });
        return admins;
    }

    private sealed record TwoAdmins(CrisisDeskFactory App, string First, int FirstId, string Second, int SecondId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var connection = await App.Database.DataSource.OpenConnectionAsync();
            await connection.ExecuteAsync("UPDATE users SET disabled = false, role = 'Admin' WHERE user_name = @name", new { name = CrisisDeskFactory.AdminUser });
        }
    }

    /// <summary>
    /// The first Admin's change to the second (<paramref name="theirs"/>) holds the second's row in a transaction; the
    /// second, still an enabled Admin as far as anything committed says, does the same to the first meanwhile and
    /// counts the Admins once the first's change commits: refused, and the first stays the one enabled Admin.
    /// </summary>
    [Theory]
    [InlineData("UPDATE users SET role = 'Viewer' WHERE id = @secondId", "demote", "This is the last Admin: make someone else Admin first.")]
    [InlineData("UPDATE users SET disabled = true WHERE id = @secondId", "disable", "This is the last enabled Admin: make someone else Admin first.")]
    public async Task Two_admins_demoting_or_disabling_each_other_at_once_cannot_leave_no_enabled_Admin(string theirs, string ours, string refusal)
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        await using var admins = await OnlyTwoAdminsAsync();
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();

        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(theirs, new { admins.SecondId }, transaction);
        var change = ours == "demote"
            ? accounts.ChangeRoleAsync(AdminNamed(admins.Second), admins.FirstId, Roles.Viewer)
            : accounts.SetDisabledAsync(AdminNamed(admins.Second), admins.FirstId, disabled: true);
        await app.Database.WaitForLockWaitAsync("transactionid");
        await transaction.CommitAsync();

        var refused = await Assert.ThrowsAsync<AccountException>(() => change);
        Assert.Equal(refusal, refused.Message);
        Assert.Equal([admins.First], await connection.QueryAsync<string>("SELECT user_name FROM users WHERE role = 'Admin' AND NOT disabled"));
    }

    [Fact]
    public async Task A_disabled_Admin_can_be_demoted_by_the_only_enabled_one()
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();
        await using var admins = await OnlyTwoAdminsAsync();
        await accounts.SetDisabledAsync(AdminNamed(admins.First), admins.SecondId, disabled: true);

        // Demoting a disabled Admin takes no enabled Admin away: it is not "the last Admin".
        await accounts.ChangeRoleAsync(AdminNamed(admins.First), admins.SecondId, Roles.Viewer);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(Roles.Viewer, await connection.ExecuteScalarAsync<string>("SELECT role FROM users WHERE id = @SecondId", new { admins.SecondId }));
    }
}
