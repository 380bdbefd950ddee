using CrisisDesk.Web.Components.Layout;
using CrisisDesk.Web.Features.Account;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace CrisisDesk.ComponentTests.Layout;

public sealed class MainLayoutTests : LayoutTest
{
    private static bool IsDark(IRenderedComponent<MainLayout> layout) =>
        layout.FindComponent<MudThemeProvider>().Instance.GetState(p => p.IsDarkMode);

    private static string[] NavItems(IRenderedComponent<MainLayout> layout) =>
        layout.FindAll(".mud-navmenu .mud-nav-link").Select(a => a.TextContent.Trim()).ToArray();

    [Fact]
    public void A_viewer_sees_incidents_and_review_but_not_audit_or_users()
    {
        SignInAs(Roles.Viewer);

        var layout = RenderLayout();

        Assert.Equal(["Incidents", "Review"], NavItems(layout));
    }

    [Fact]
    public void An_admin_sees_audit_and_users_too()
    {
        SignInAs(Roles.Admin);

        var layout = RenderLayout();

        Assert.Equal(["Incidents", "Review", "Approvals", "Audit", "Users", "Feed subscribers", "Recipient lists"], NavItems(layout));
    }

    [Fact]
    public void Inside_an_incident_the_drawer_lists_its_pages_without_sources_for_a_viewer()
    {
        SignInAs(Roles.Viewer);
        Context.Services.GetRequiredService<NavigationManager>().NavigateTo("/incidents/7/rumours");

        var viewer = RenderLayout();

        Assert.Equal(["Incidents", "War room", "Rumours", "Rebuttals", "Alerts", "Enquiries", "Review"], NavItems(viewer));
        Assert.Equal("/incidents/7/rumours", viewer.Find("[data-testid=nav-rumours]").GetAttribute("href"));
    }

    [Fact]
    public void Inside_an_incident_an_operator_also_has_its_sources()
    {
        SignInAs(Roles.Operator);
        Context.Services.GetRequiredService<NavigationManager>().NavigateTo("/incidents/7");

        var op = RenderLayout();

        Assert.Equal(["Incidents", "War room", "Rumours", "Rebuttals", "Alerts", "Enquiries", "Accounts", "Sources", "Review"], NavItems(op));
    }

    [Fact]
    public void The_user_menu_shows_the_display_name_and_role()
    {
        SignInAs(Roles.Approver, "Sam Approver");
        var layout = RenderLayout();

        layout.Find(".user-menu-button button").Click();

        Assert.Equal("Sam Approver", layout.Find("[data-testid=user-name]").TextContent.Trim());
        Assert.Equal("Approver", layout.Find("[data-testid=user-role]").TextContent.Trim());
        var signOut = layout.Find("form[action='/account/logout']");
        Assert.Equal("post", signOut.GetAttribute("method"));
        Assert.NotNull(signOut.QuerySelector("input[name=__RequestVerificationToken]"));
        // The form names its page, so that this page's circuit leaves the navigation to the form's redirect.
        var page = Context.Services.GetRequiredService<SigningOutPage>();
        Assert.Equal(page.Key, signOut.QuerySelector($"input[name={SigningOutPage.FormField}]")?.GetAttribute("value"));
    }

    [Fact]
    public async Task The_theme_switch_turns_the_dark_palette_on_and_stores_the_choice()
    {
        SignInAs(Roles.Operator);
        var layout = RenderLayout(dark: false);
        Assert.False(IsDark(layout));

        layout.Find(".user-menu-button button").Click();
        layout.Find(".mud-switch input[type=checkbox]").Change(true);

        // MudSwitch hands the change on after an await of its own: wait for the layout to hear it.
        await layout.WaitForAssertionAsync(() => Assert.True(IsDark(layout)));
        var stored = Context.JSInterop.VerifyInvoke("crisisDesk.setTheme");
        Assert.Equal("dark", stored.Arguments[0]);

        layout.Find(".mud-switch input[type=checkbox]").Change(false);
        await layout.WaitForAssertionAsync(() => Assert.False(IsDark(layout)));
        Assert.Equal("light", Context.JSInterop.VerifyInvoke("crisisDesk.setTheme", calledTimes: 2)[1].Arguments[0]);
    }

    [Fact]
    public void The_palette_the_server_chose_is_the_first_one_painted()
    {
        SignInAs(Roles.Viewer);

        var layout = RenderLayout(dark: true);

        Assert.True(IsDark(layout));
        Assert.DoesNotContain(Context.JSInterop.Invocations, i => i.Identifier == "crisisDesk.setTheme");
    }

    [Fact]
    public void A_page_that_fails_shows_the_error_inside_the_layout_with_a_way_back()
    {
        SignInAs(Roles.Viewer);

        var layout = RenderLayout(body: b =>
        {
            b.OpenComponent<FailingPage>(0);
            b.CloseComponent();
        });

        var error = layout.Find("[data-testid=page-error]");
        Assert.Contains("Reload this view", error.TextContent);
        Assert.NotNull(layout.Find(".mud-appbar")); // the rest of the layout still renders
        Assert.NotNull(layout.Find(".mud-navmenu"));
    }

    private sealed class FailingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("the page broke");
    }
}
