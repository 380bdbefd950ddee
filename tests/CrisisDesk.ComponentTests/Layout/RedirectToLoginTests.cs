using Bunit.TestDoubles;
using CrisisDesk.Web.Components;
using CrisisDesk.Web.Features.Account;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.ComponentTests.Layout;

/// <summary>
/// A page whose session ended goes to the sign-in page, except the page that is signing out: the browser is following
/// the sign-out's own redirect (to the identity provider's end-session endpoint), which a navigation would cancel.
/// </summary>
public sealed class RedirectToLoginTests : ComponentTest
{
    [Fact]
    public void A_page_whose_session_ended_goes_to_the_sign_in_page_with_its_address()
    {
        Context.Services.AddScoped<SigningOutPage>();
        var navigation = Context.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/incidents/3/rumours");

        Context.Render<RedirectToLogin>();

        var last = ((BunitNavigationManager)navigation).History.First();
        Assert.Equal("/login?returnUrl=%2Fincidents%2F3%2Frumours", last.Uri);
        Assert.True(last.Options.ForceLoad);
    }

    [Fact]
    public void The_page_that_is_signing_out_stays_put_and_says_so()
    {
        Context.Services.AddScoped<SigningOutPage>();
        var navigation = (BunitNavigationManager)Context.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/incidents/3");
        Context.Services.GetRequiredService<SigningOutPage>().Begin();
        var before = navigation.History.Count;

        var rendered = Context.Render<RedirectToLogin>();

        Assert.Equal(before, navigation.History.Count);
        Assert.Contains("Signing out", rendered.Find("[data-testid=signing-out]").TextContent, StringComparison.Ordinal);
    }
}
