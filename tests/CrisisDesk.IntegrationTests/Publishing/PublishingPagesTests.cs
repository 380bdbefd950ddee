using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Web.Features.Account;

namespace CrisisDesk.IntegrationTests.Publishing;

public sealed class PublishingPagesTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    [Fact]
    public async Task The_alert_and_rebuttal_pages_render_for_an_operator_and_send_anonymous_visitors_to_sign_in()
    {
        var (op, password) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(op, password);
        var incidentId = (await (await client.PostAsJsonAsync("/api/incidents", new { name = "Pages" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var alerts = await client.GetStringAsync($"/incidents/{incidentId}/alerts");
        var rebuttals = await client.GetStringAsync($"/incidents/{incidentId}/rebuttals");
        var anonymous = await app.NewClient().GetAsync($"/incidents/{incidentId}/alerts");

        Assert.Contains("Emergency alerts", alerts, StringComparison.Ordinal);
        Assert.Contains("New alert", alerts, StringComparison.Ordinal);
        Assert.Contains("Rebuttals", rebuttals, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_public_feed_is_anonymous_and_valid_atom_even_when_empty()
    {
        var response = await app.NewClient().GetAsync("/cap/feed.atom");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/atom+xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await app.NewClient().GetAsync("/cap/alerts/no-such-alert.xml")).StatusCode);
    }
}
