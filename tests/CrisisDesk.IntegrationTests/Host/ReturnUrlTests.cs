using System.Net;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;

namespace CrisisDesk.IntegrationTests.Host;

/// <summary>Where sign-in sends a person back to: only a path of this site, never a 500.</summary>
public sealed class ReturnUrlTests(CrisisDeskFactory app) : IClassFixture<CrisisDeskFactory>
{
    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/incidents/1\r\nSet-Cookie: x=1")]
    [InlineData("/\u001b[31m")]
    [InlineData("//evil.example")]
    [InlineData("https://evil.example/")]
    public async Task A_return_url_with_control_characters_or_another_host_sends_home(string returnUrl)
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);

        var response = await CrisisDeskFactory.SignInAsync(app.NewClient(), viewer, password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_local_return_url_is_followed()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);

        var response = await CrisisDeskFactory.SignInAsync(app.NewClient(), viewer, password, "/incidents/1?tab=feed");

        Assert.Equal("/incidents/1?tab=feed", response.Headers.Location!.OriginalString);
    }
}
