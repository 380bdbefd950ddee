using CrisisDesk.Web.Features.Account;

namespace CrisisDesk.UnitTests.Account;

public sealed class PasswordPolicyTests
{
    [Theory]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("123456789012")]
    [InlineData("abcabcabcabc")]
    [InlineData("abcdefghijkl")]
    [InlineData("987654321098")]
    [InlineData("qwertyuiopas")]
    [InlineData("abababababababab")]
    [InlineData("11112222333311112222")]
    public void Repetitive_and_sequential_strings_are_refused(string password)
    {
        var problem = PasswordPolicy.Problem(password, "ann.lee");

        Assert.NotNull(problem);
        Assert.Matches("repeats|consecutive", problem);
    }

    [Theory]
    [InlineData("1qaz2wsx3edc")]
    [InlineData("qwerty123456")]
    [InlineData("password1234")]
    [InlineData("Password1234!")]
    [InlineData("!!football2024")]
    [InlineData("iloveyou123456")]
    public void Common_and_breached_passwords_are_refused_with_digits_or_symbols_added(string password)
    {
        Assert.Contains("common and breached", PasswordPolicy.Problem(password, "ann.lee"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ann.lee.crisis", "ann.lee.crisis", "Ann Lee")]
    [InlineData("ANN.LEE.CRISIS2026", "ann.lee.crisis", "Ann Lee")]
    [InlineData("patokafor-2026", "p.okafor", "Pat Okafor")]
    public void The_user_name_or_display_name_is_refused(string password, string userName, string displayName)
    {
        Assert.Contains("user name or display name", PasswordPolicy.Problem(password, userName, displayName), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short pass")]
    [InlineData("")]
    public void Fewer_than_twelve_characters_are_refused(string password)
    {
        Assert.Contains("at least 12 characters", PasswordPolicy.Problem(password), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("correct horse battery staple")]
    [InlineData("integration-admin-password")]
    [InlineData("river bank lantern quiet")]
    [InlineData("Ünïcödé pässphräse wörks tøø")]
    [InlineData("мост закрыт до утра")]
    [InlineData("川の水位が上がっています注意")]
    [InlineData("g7#Kq!2mZr9v")]
    public void Long_passphrases_in_any_script_and_random_strings_are_accepted(string password)
    {
        Assert.Null(PasswordPolicy.Problem(password, "ann.lee", "Ann Lee"));
    }

    [Fact]
    public void Passphrases_of_sixty_four_characters_and_more_are_accepted_up_to_the_limit()
    {
        var sixtyFour = "the river wey rose past the old stone bridge at dawn on tuesday!";
        Assert.Equal(64, sixtyFour.Length);
        Assert.Null(PasswordPolicy.Problem(sixtyFour));
        Assert.Null(PasswordPolicy.Problem(string.Join(' ', Enumerable.Range(1, 20).Select(i => $"lantern{i}"))));
        Assert.Contains("at most", PasswordPolicy.Problem(new string('x', 100) + Guid.NewGuid() + new string('y', 200)), StringComparison.Ordinal);
    }
}
