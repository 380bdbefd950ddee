using System.Security.Claims;
using Bunit.TestDoubles;
using CrisisDesk.Web.Components.Layout;
using CrisisDesk.Web.Components.Theme;
using CrisisDesk.Web.Features.Account;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.ComponentTests.Layout;

/// <summary>
/// The main layout around a page, signed in with a role; the incident switcher (a database query) stubbed, the approvals
/// badge on an in-memory queue with a real activity feed.
/// </summary>
public abstract class LayoutTest : ComponentTest
{
    protected LayoutTest()
    {
        Context.ComponentFactories.AddStub<IncidentSwitcher>();
        Context.Services.AddSingleton<AntiforgeryStateProvider, FixedAntiforgery>();
        Context.Services.AddSingleton<CrisisDesk.Web.Features.Approvals.IApprovalsWaiting>(new Approvals.FakeApprovals());
        Context.Services.AddSingleton(new CrisisDesk.Core.Live.IncidentActivityFeed());
        Context.Services.AddSingleton<CrisisDesk.Web.Features.Notifications.INotificationInbox>(new Notifications.FakeInbox());
        Context.Services.AddSingleton(new CrisisDesk.Web.Features.Notifications.NotificationHub());
        Context.Services.AddSingleton(TimeProvider.System);
        Context.Services.AddScoped<SigningOutPage>();
    }

    /// <summary>Signs in as <paramref name="role"/>: the policies of that role and every role below it hold.</summary>
    protected void SignInAs(string role, string displayName = "Duty Officer")
    {
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("duty.officer");
        auth.SetRoles(role);
        auth.SetClaims(new Claim("display_name", displayName), new Claim(ClaimTypes.Role, role));
        var held = Roles.All.Take(Roles.All.ToList().IndexOf(role) + 1).Select(r => r switch
        {
            Roles.Viewer => Policies.Viewer,
            Roles.Operator => Policies.Operator,
            Roles.Approver => Policies.Approver,
            _ => Policies.Admin,
        });
        auth.SetPolicies(held.ToArray());
    }

    protected IRenderedComponent<MainLayout> RenderLayout(bool? dark = false, RenderFragment? body = null)
    {
        // The layout runs interactively (CircuitMarker asks), as in the app; set once every service is registered.
        Context.SetRendererInfo(new RendererInfo("Server", true));
        return Context.Render<MainLayout>(p => p
            .AddCascadingValue(new InitialTheme(dark))
            .Add(l => l.Body, body ?? (b => b.AddMarkupContent(0, "<p id=\"page\">page content</p>"))));
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("token", "__RequestVerificationToken");
    }
}
