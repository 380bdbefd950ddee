using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Admin;

namespace CrisisDesk.ComponentTests.Admin;

/// <summary>The users list: role chips in words with what each may do; your own row cannot be changed from here.</summary>
public sealed class UserTableTests : ComponentTest
{
    private static readonly UserAccount Me = new(1, "admin", "The Admin", Roles.Admin, false, DateTime.UtcNow);
    private static readonly UserAccount Anna = new(2, "ops.anna", "Anna", Roles.Operator, false, DateTime.UtcNow);
    private static readonly UserAccount Ben = new(3, "ops.ben", "Ben", Roles.Viewer, true, DateTime.UtcNow);

    [Fact]
    public void Each_user_shows_a_role_chip_and_others_can_be_disabled_or_enabled_but_not_yourself()
    {
        var toggled = new List<string>();
        var table = Context.Render<UserTable>(p => p
            .Add(t => t.Users, [Me, Anna, Ben])
            .Add(t => t.CurrentUserName, "admin")
            .Add(t => t.OnToggle, (UserAccount u) => toggled.Add(u.UserName)));

        Assert.Equal([Roles.Admin, Roles.Operator, Roles.Viewer], table.FindAll("[data-testid=role-chip]").Select(c => c.GetAttribute("data-role")!).ToList());
        var toggles = table.FindAll("[data-testid=user-toggle]");
        Assert.Equal(["Disable", "Enable"], toggles.Select(b => b.TextContent.Trim()).ToList());
        Assert.Equal(2, table.FindAll("[data-testid=user-role-menu]").Count);
        Assert.Contains("Disabled: cannot sign in", table.FindAll("[data-testid=user-status]")[2].TextContent, StringComparison.Ordinal);

        table.FindAll("[data-testid=user-toggle]")[1].Click();
        Assert.Equal(["ops.ben"], toggled);
    }

    [Fact]
    public void While_a_command_runs_no_action_is_offered_twice()
    {
        var table = Context.Render<UserTable>(p => p.Add(t => t.Users, [Me, Anna]).Add(t => t.CurrentUserName, "admin").Add(t => t.Busy, true));

        Assert.Empty(table.FindAll("[data-testid=user-role-menu]"));
        Assert.True(table.Find("[data-testid=user-toggle]").HasAttribute("disabled"));
    }

    [Fact]
    public void Every_role_says_what_it_may_do()
    {
        foreach (var role in Roles.All)
        {
            Assert.Equal(role, RoleLabels.Label(role));
            Assert.DoesNotContain("Unknown", RoleLabels.Description(role), StringComparison.Ordinal);
        }
    }
}
