using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using Dapper;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>
/// "The author cannot approve" is decided on the row the approving transaction holds: a writer added while an approval
/// waits for the lock (a revise and resubmit racing it) is refused, and concurrent approvals still issue once.
/// </summary>
public sealed class TwoPersonRuleRaceTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    private async Task<(HttpClient Client, string Name)> SignedInAsync(string role)
    {
        var (name, password) = await app.CreateUserAsync(role);
        return (await app.SignedInClientAsync(name, password), name);
    }

    private static async Task<int> IdAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private async Task<int> SubmittedAlertAsync(HttpClient writer)
    {
        var incidentId = await IdAsync(await writer.PostAsJsonAsync("/api/incidents", new { name = "Race for approval" }));
        var alertId = await IdAsync(await writer.PostAsync($"/api/incidents/{incidentId}/alerts",
            new StringContent(CapXml.Write(AlertSamples.Flood()), Encoding.UTF8, CapXml.MediaType)));
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);
        return alertId;
    }

    private async Task<int> SubmittedRebuttalAsync(HttpClient writer)
    {
        var incidentId = await IdAsync(await writer.PostAsJsonAsync("/api/incidents", new { name = "Race for a rebuttal" }));
        var id = await IdAsync(await writer.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
        {
            title = "The bridge is open",
            variants = new Dictionary<string, string> { ["X"] = "The bridge is open.", ["Mastodon"] = "The bridge is open." },
        }));
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/rebuttals/{id}/submit", null)).StatusCode);
        return id;
    }

    /// <summary>
    /// Holds the row, starts the approval, and once it waits for the row makes the approver one of its writers (what a
    /// revise by them between the check and the decision leaves behind).
    /// </summary>
    private async Task<HttpResponseMessage> ApproveWhileBecomingAWriterAsync(string table, int id, HttpClient approver, string approverName, string path)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"SELECT 1 FROM {table} WHERE id = @id FOR UPDATE", new { id }, transaction);
        var approval = approver.PostAsJsonAsync(path, new { comment = "looks right" });
        await app.Database.WaitForLockWaitAsync("transactionid");
        await connection.ExecuteAsync($"UPDATE {table} SET editors = editors || @approverName WHERE id = @id", new { id, approverName }, transaction);
        await transaction.CommitAsync();
        return await approval;
    }

    [Fact]
    public async Task An_alert_approval_is_refused_when_the_approver_became_a_writer_while_it_waited()
    {
        var (writer, _) = await SignedInAsync(Roles.Operator);
        var (approver, approverName) = await SignedInAsync(Roles.Approver);
        var alertId = await SubmittedAlertAsync(writer);

        var response = await ApproveWhileBecomingAWriterAsync("alerts", alertId, approver, approverName, $"/api/alerts/{alertId}/approve");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal("submitted", await connection.ExecuteScalarAsync<string>("SELECT state FROM alerts WHERE id = @alertId", new { alertId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM deliveries WHERE alert_id = @alertId", new { alertId }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @approverName AND payload->>'rule' = 'two-person'", new { approverName }));
    }

    [Fact]
    public async Task A_rebuttal_approval_is_refused_when_the_approver_became_a_writer_while_it_waited()
    {
        var (writer, _) = await SignedInAsync(Roles.Operator);
        var (approver, approverName) = await SignedInAsync(Roles.Approver);
        var id = await SubmittedRebuttalAsync(writer);

        var response = await ApproveWhileBecomingAWriterAsync("rebuttals", id, approver, approverName, $"/api/rebuttals/{id}/approve");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal("submitted", await connection.ExecuteScalarAsync<string>("SELECT state FROM rebuttals WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Concurrent_approvals_by_other_approvers_issue_an_alert_once()
    {
        var (writer, _) = await SignedInAsync(Roles.Operator);
        var approvers = new List<HttpClient>();
        for (var i = 0; i < 6; i++)
            approvers.Add((await SignedInAsync(Roles.Approver)).Client);
        var alertId = await SubmittedAlertAsync(writer);

        var responses = await Task.WhenAll(approvers.Select(a => a.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "ok" })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.NoContent));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.NoContent), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'alert.approved' AND (payload->>'alertId')::int = @alertId", new { alertId }));
    }

    [Fact]
    public async Task Concurrent_approvals_of_a_rebuttal_approve_it_once_and_the_others_hear_it_is_approved()
    {
        var (writer, _) = await SignedInAsync(Roles.Operator);
        var approvers = new List<HttpClient>();
        for (var i = 0; i < 6; i++)
            approvers.Add((await SignedInAsync(Roles.Approver)).Client);
        var id = await SubmittedRebuttalAsync(writer);

        // Optimistic on the row's xmin: the losers' saves find it changed, run again on the approved row and are refused
        // with the same words as when they queued on a row lock.
        var responses = await Task.WhenAll(approvers.Select(a => a.PostAsJsonAsync($"/api/rebuttals/{id}/approve", new { comment = "ok" })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.NoContent));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.NoContent))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("This rebuttal is approved: only a submitted rebuttal can be approved.", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'rebuttal.approved' AND (payload->>'rebuttalId')::int = @id", new { id }));
    }
}
