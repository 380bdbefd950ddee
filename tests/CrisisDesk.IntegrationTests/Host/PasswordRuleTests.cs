using System.Security.Claims;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>The password rule where accounts are made: common, repetitive and own-name passwords are refused, passphrases taken.</summary>
public sealed class PasswordRuleTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    private static readonly ClaimsPrincipal Admin = CrisisDeskFactory.Admin;

    private static string NewName() => $"pw-{Guid.NewGuid():N}"[..16];

    [Theory]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("123456789012")]
    [InlineData("abcabcabcabc")]
    [InlineData("password1234")]
    [InlineData("qwerty123456")]
    public async Task An_account_cannot_be_made_with_a_weak_password(string password)
    {
        var accounts = app.Services.GetRequiredService<UserAccounts>();

        await Assert.ThrowsAsync<AccountException>(() => accounts.CreateAsync(Admin, NewName(), "Pat Doe", Roles.Viewer, password));
    }

    [Fact]
    public async Task An_account_cannot_be_made_with_its_own_name_as_password()
    {
        var name = NewName();

        var refused = await Assert.ThrowsAsync<AccountException>(() =>
            app.Services.GetRequiredService<UserAccounts>().CreateAsync(Admin, name, "Pat Doe", Roles.Viewer, name + "1"));
        Assert.Contains("user name", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_passphrase_with_spaces_is_accepted_and_signs_in()
    {
        var name = NewName();
        var passphrase = "the quay flooded at noon, take the hill road to the school — 🙂 merci";

        await app.Services.GetRequiredService<UserAccounts>().CreateAsync(Admin, name, "Pat Doe", Roles.Viewer, passphrase);

        await app.SignedInClientAsync(name, passphrase);
    }
}
