using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Approvals;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Approvals;

/// <summary>The approvals inbox and its badge on a real database: what waits, for whom, who submitted it, oldest first.</summary>
public sealed class ApprovalQueriesTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    private static async Task<int> IdAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static ClaimsPrincipal Person(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public async Task Submitted_items_wait_for_approvers_who_did_not_write_them_oldest_first_with_their_submitter()
    {
        var (writerName, writerPassword) = await app.CreateUserAsync(Roles.Approver);
        var writer = await app.SignedInClientAsync(writerName, writerPassword);
        var (approverName, _) = await app.CreateUserAsync(Roles.Approver);
        var incidentId = await IdAsync(await writer.PostAsJsonAsync("/api/incidents", new { name = "Waiting for approval" }));
        var alertId = await IdAsync(await writer.PostAsync($"/api/incidents/{incidentId}/alerts",
            new StringContent(CapXml.Write(AlertSamples.Flood()), Encoding.UTF8, CapXml.MediaType)));
        var rebuttalId = await IdAsync(await writer.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
        {
            title = "The bridge is open",
            variants = new Dictionary<string, string> { ["X"] = "The bridge is open.", ["Mastodon"] = "The bridge is open." },
        }));
        var draftId = await IdAsync(await writer.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
        {
            title = "Still a draft",
            variants = new Dictionary<string, string> { ["X"] = "Not submitted." },
        }));
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/rebuttals/{rebuttalId}/submit", null)).StatusCode);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            // The submitter is the one the log names, not the row's author.
            await connection.ExecuteAsync("UPDATE rebuttals SET author = 'someone else' WHERE id = @rebuttalId", new { rebuttalId });
        }
        var approvals = app.Services.GetRequiredService<ApprovalQueries>();

        var waiting = (await approvals.WaitingForAsync(Person(approverName, Roles.Approver))).Where(i => i.IncidentId == incidentId).ToList();

        Assert.Equal([(ApprovalItem.Alert, alertId), (ApprovalItem.Rebuttal, rebuttalId)], waiting.Select(i => (i.Kind, i.Id)));
        Assert.All(waiting, i => Assert.Equal(writerName, i.SubmittedBy));
        Assert.All(waiting, i => Assert.Equal("Waiting for approval", i.IncidentName));
        Assert.Equal("The bridge is open", waiting[1].Title);
        Assert.DoesNotContain(waiting, i => i.Id == draftId && i.Kind == ApprovalItem.Rebuttal);
        var everything = await approvals.WaitingForAsync(Person(approverName, Roles.Approver));
        Assert.Equal(everything.Count, await approvals.CountForAsync(Person(approverName, Roles.Approver)));

        // The writer (an Approver too, in another case) is one of their writers: nothing of theirs waits for them.
        var writersOwn = await approvals.WaitingForAsync(Person(writerName.ToUpperInvariant(), Roles.Approver));
        Assert.DoesNotContain(writersOwn, i => i.IncidentId == incidentId);
        Assert.Equal(everything.Count - 2, await approvals.CountForAsync(Person(writerName.ToUpperInvariant(), Roles.Approver)));
    }
}
