using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.IntegrationTests.Notifications;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.RecipientLists;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.RecipientLists;

/// <summary>
/// Recipient lists through the real host: an Admin imports CSV and gets every bad line back with its number, value
/// and reason; an approved alert reaches every person on an email list (a real SMTP conversation) and an SMS list
/// (the Twilio wire format, through 429 and 503) exactly once; an unreachable SMTP server is reported per delivery.
/// </summary>
public sealed class RecipientListTests(NotificationsFactory app) : IClassFixture<NotificationsFactory>
{
    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private static async Task<int> CreatedIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private async Task<HttpClient> SignedInAsync(string role)
    {
        var (user, password) = await app.CreateUserAsync(role);
        return await app.SignedInClientAsync(user, password);
    }

    private static async Task<int> CreateListAsync(HttpClient admin, string kind) =>
        await CreatedIdAsync(await admin.PostAsJsonAsync("/api/lists", new { name = $"{kind} list {Unique()}", kind }));

    private static async Task<JsonElement> ImportAsync(HttpClient admin, int listId, string csv)
    {
        var response = await admin.PostAsync($"/api/lists/{listId}/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static List<(int Line, string Value, string Reason)> Rejected(JsonElement report) =>
        [.. report.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("line").GetInt32(), r.GetProperty("value").GetString()!, r.GetProperty("reason").GetString()!))];

    [Fact]
    public async Task A_csv_import_takes_every_good_line_and_reports_each_bad_one_with_its_line_value_and_reason()
    {
        var admin = await SignedInAsync(Roles.Admin);
        var emails = await CreateListAsync(admin, "email");
        var sms = await CreateListAsync(admin, "sms");

        var emailReport = await ImportAsync(admin, emails, string.Join("\r\n",
            "Email,Name",                                   // header, columns in any order
            "ann@riverside.example.gov,Ann Jones",
            "not-an-address,Bob",
            "\"carol@riverside.example.gov\",\"Carol, the \"\"duty\"\" one\"",
            "",                                             // blank lines are skipped, not reported
            "ANN@riverside.example.gov,Ann again",
            ",Nobody",
            "dan@riverside.example.gov,Dan"));
        Assert.Equal(3, emailReport.GetProperty("added").GetInt32());
        Assert.Equal(
            [(3, "not-an-address", "malformed email address (name@example.org)"),
             (6, "ANN@riverside.example.gov", "duplicate: ANN@riverside.example.gov is already in this file"),
             (7, "", "no email address")],
            Rejected(emailReport));

        var smsReport = await ImportAsync(admin, sms, "name,phone\nAnn,+44 7700 900123\nBob,07700 900456\nCarol,0044 (7700) 900-789\nDan,+44 7700 900123\nEve,+12\n");
        Assert.Equal(2, smsReport.GetProperty("added").GetInt32());
        var smsRejected = Rejected(smsReport);
        Assert.Equal([3, 5, 6], smsRejected.Select(r => r.Line));
        Assert.Contains("not in international form", smsRejected[0].Reason, StringComparison.Ordinal);
        Assert.Contains("duplicate", smsRejected[1].Reason, StringComparison.Ordinal);
        Assert.Contains("E.164", smsRejected[2].Reason, StringComparison.Ordinal);

        // Nothing accepted is lost; the numbers are stored in E.164.
        var numbers = await admin.GetFromJsonAsync<JsonElement>($"/api/lists/{sms}/recipients");
        Assert.Equal(["+447700900123", "+447700900789"], numbers.EnumerateArray().Select(r => r.GetProperty("address").GetString()).Order(StringComparer.Ordinal));
        var addresses = await admin.GetFromJsonAsync<JsonElement>($"/api/lists/{emails}/recipients");
        Assert.Contains(addresses.EnumerateArray(), r => r.GetProperty("name").GetString() == "Carol, the \"duty\" one");

        // The same file again: every line is already on the list, and says so.
        var again = await ImportAsync(admin, sms, "name,phone\nAnn,+44 7700 900123\n");
        Assert.Equal(0, again.GetProperty("added").GetInt32());
        Assert.Contains("already on the list", Assert.Single(Rejected(again)).Reason, StringComparison.Ordinal);

        // Recorded, with counts and no addresses.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var events = (await connection.QueryAsync<string>("""
            SELECT payload::text FROM events WHERE action = 'recipient-list.members-changed' AND (payload->>'listId')::int = ANY(@ids) ORDER BY seq
            """, new { ids = new[] { emails, sms } })).ToList();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.DoesNotContain("riverside.example.gov", e, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain("7700", e, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_name_taken_by_another_admin_at_the_same_moment_is_refused_with_a_conflict_not_a_server_error(bool renaming)
    {
        var admin = await SignedInAsync(Roles.Admin);
        var name = $"Duty officers {Unique()}";
        var renamed = renaming ? await CreateListAsync(admin, "email") : 0;
        // The other Admin's create, not yet committed: this one's check cannot see it and its write waits on the index.
        await using var other = await app.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await other.ExecuteAsync("INSERT INTO recipient_lists (name, kind) VALUES (@name, 'email')", new { name = name.ToUpperInvariant() }, transaction);

        // This one's create, or its rename of another list, to the same name.
        var creating = renaming
            ? admin.PutAsJsonAsync($"/api/lists/{renamed}", new { name })
            : admin.PostAsJsonAsync("/api/lists", new { name, kind = "email" });
        await app.Database.WaitForLockWaitAsync("transactionid");
        await transaction.CommitAsync();
        var response = await creating;

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"There is already an Email list called \"{name}\".", problem.GetProperty("detail").GetString());
        await using var check = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await check.QuerySingleAsync<int>("SELECT count(*)::int FROM recipient_lists WHERE lower(name) = lower(@name)", new { name }));
    }

    [Fact]
    public async Task Only_an_admin_manages_lists_and_each_action_is_in_the_event_log()
    {
        var admin = await SignedInAsync(Roles.Admin);
        var approver = await SignedInAsync(Roles.Approver);
        var name = "Schools " + Unique();

        Assert.Equal(HttpStatusCode.Forbidden, (await approver.PostAsJsonAsync("/api/lists", new { name, kind = "email" })).StatusCode);
        var id = await CreatedIdAsync(await admin.PostAsJsonAsync("/api/lists", new { name, kind = "email" }));
        Assert.Equal(HttpStatusCode.Forbidden, (await approver.PostAsync($"/api/lists/{id}/import", new StringContent("a@b.example", Encoding.UTF8, "text/csv"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await approver.GetAsync($"/api/lists/{id}/recipients")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/lists", new { name = name.ToUpperInvariant(), kind = "email" })).StatusCode);
        var bad = await admin.PostAsJsonAsync($"/api/lists/{id}/recipients", new { name = "X", address = "x@@example" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("malformed email address", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var recipient = await CreatedIdAsync(await admin.PostAsJsonAsync($"/api/lists/{id}/recipients", new { name = "Head", address = "head@school.example.org" }));
        var repeated = await admin.PostAsJsonAsync($"/api/lists/{id}/recipients", new { name = "Head again", address = "HEAD@school.example.org" });
        Assert.Equal(HttpStatusCode.Conflict, repeated.StatusCode);
        Assert.Contains("already on this list", await repeated.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/lists/{id}/recipients/{recipient}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/api/lists/{id}", new { name = name + " (all)" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/lists/{id}")).StatusCode);
        // The approver may see which lists exist (to choose them), not who is on them.
        Assert.DoesNotContain((await approver.GetFromJsonAsync<JsonElement>("/api/lists")).EnumerateArray(), l => l.GetProperty("id").GetInt32() == id);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var actions = (await connection.QueryAsync<string>("""
            SELECT action FROM events WHERE action LIKE 'recipient-list.%' AND (payload->>'listId')::int = @id ORDER BY seq
            """, new { id })).ToList();
        Assert.Equal(["recipient-list.created", "recipient-list.members-changed", "recipient-list.members-changed", "recipient-list.renamed", "recipient-list.deleted"], actions);
        Assert.True(await connection.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM events WHERE action = 'authorization.denied' AND payload::text LIKE '%recipient%'
            """) >= 1);
    }

    private sealed record Published(int AlertId, int EmailList, int SmsList, string[] Emails, string[] Phones);

    /// <summary>An alert submitted by an operator, approved by an approver with an email list and an SMS list of three each.</summary>
    private async Task<Published> ApproveToListsAsync()
    {
        var admin = await SignedInAsync(Roles.Admin);
        var op = await SignedInAsync(Roles.Operator);
        var approver = await SignedInAsync(Roles.Approver);
        var tag = Unique();
        var emails = new[] { $"ann.{tag}@riverside.example.gov", $"bob.{tag}@riverside.example.gov", $"carol.{tag}@riverside.example.gov" };
        var phones = Enumerable.Range(0, 3).Select(i => $"+4477009{Random.Shared.Next(10000, 99999)}{i}"[..13]).Distinct().ToArray();
        var emailList = await CreateListAsync(admin, "email");
        var smsList = await CreateListAsync(admin, "sms");
        Assert.Equal(3, (await ImportAsync(admin, emailList, "name,email\n" + string.Join("\n", emails.Select(e => "Resident," + e)))).GetProperty("added").GetInt32());
        Assert.Equal(phones.Length, (await ImportAsync(admin, smsList, "name,phone\n" + string.Join("\n", phones.Select(p => "Resident," + p)))).GetProperty("added").GetInt32());

        var incident = await op.PostAsJsonAsync("/api/incidents", new { name = "River Ouse flood " + tag });
        var incidentId = (await incident.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var alertId = await CreatedIdAsync(await op.PostAsync($"/api/incidents/{incidentId}/alerts",
            new StringContent(CapXml.Write(AlertSamples.Flood()), Encoding.UTF8, CapXml.MediaType)));
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);
        var approve = await approver.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "Go", lists = new[] { emailList, smsList } });
        Assert.True(approve.StatusCode == HttpStatusCode.NoContent, await approve.Content.ReadAsStringAsync());
        return new Published(alertId, emailList, smsList, emails, phones);
    }

    private async Task<Dictionary<string, (string Status, string? Receipt, string? Error)>> ListDeliveriesAsync(int alertId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Channel, string Status, string? Receipt, string? Error)>(
                "SELECT channel, status, receipt, last_error FROM deliveries WHERE alert_id = @alertId AND recipient_list_id IS NOT NULL", new { alertId }))
            .ToDictionary(d => d.Channel, d => (d.Status, d.Receipt, d.Error));
    }

    [Fact]
    public async Task An_approved_alert_reaches_each_person_on_an_email_list_and_an_sms_list_exactly_once_through_429_and_503()
    {
        app.Twilio.FailuresToServe.Enqueue(429);
        app.Twilio.FailuresToServe.Enqueue(503);
        var published = await ApproveToListsAsync();

        await PublishingFactory.EventuallyAsync(async () => (await ListDeliveriesAsync(published.AlertId)).Values.All(d => d.Status == "succeeded")
                                                             && (await ListDeliveriesAsync(published.AlertId)).Count == 2, "both lists delivered");
        var deliveries = await ListDeliveriesAsync(published.AlertId);
        Assert.Equal("sent 3 of 3", deliveries["email-list"].Receipt);
        Assert.Equal($"sent {published.Phones.Length} of {published.Phones.Length}", deliveries["sms-list"].Receipt);

        foreach (var email in published.Emails)
        {
            var mail = Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(email));
            Assert.Single(mail.RcptTo);
            Assert.Contains("Subject: Evacuate Lower Town now", mail.Data, StringComparison.Ordinal);
            Assert.Contains("What to do:", mail.Data, StringComparison.Ordinal);
            Assert.Contains("https://alerts.riverside.example.gov/", mail.Data, StringComparison.Ordinal);
        }
        // Each email has its own Message-Id.
        Assert.Equal(3, published.Emails.Select(e => Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(e)).Data)
            .Select(d => d.Split("\r\n").Single(l => l.StartsWith("Message-Id:", StringComparison.OrdinalIgnoreCase))).Distinct().Count());
        foreach (var phone in published.Phones)
        {
            var sms = Assert.Single(app.Twilio.Messages, m => m.To == phone);
            Assert.StartsWith("Evacuate Lower Town now", sms.Body, StringComparison.Ordinal);
            Assert.Contains("https://alerts.riverside.example.gov/", sms.Body, StringComparison.Ordinal);
            Assert.True(Core.Rebuttals.ChannelText.Count(Core.Rebuttals.TextChannel.Sms, sms.Body).Fits, sms.Body);
        }

        // The alert's API shows where it went, list by list.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM delivery_recipients r JOIN deliveries d ON d.id = r.delivery_id WHERE d.alert_id = @AlertId AND r.status <> 'sent'
            """, new { published.AlertId }));
        var published2 = await connection.ExecuteScalarAsync<string>("SELECT payload::text FROM events WHERE action = 'alert.published' AND (payload->>'alertId')::int = @AlertId", new { published.AlertId });
        Assert.Contains("email-list", published2!, StringComparison.Ordinal);
        Assert.Contains("sms-list", published2!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_goes_to_the_lists_its_thread_went_to_except_a_deleted_one_and_each_list_delivery_reports_its_progress()
    {
        var published = await ApproveToListsAsync();
        var admin = await SignedInAsync(Roles.Admin);
        var op = await SignedInAsync(Roles.Operator);
        var approver = await SignedInAsync(Roles.Approver);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/lists/{published.SmsList}")).StatusCode);

        // Approved without naming a list: the Update follows the thread to its email list; the deleted SMS list is left out.
        var updateId = await CreatedIdAsync(await op.PostAsync($"/api/alerts/{published.AlertId}/update", null));
        Assert.Equal(HttpStatusCode.NoContent, (await op.PostAsync($"/api/alerts/{updateId}/submit", null)).StatusCode);
        var approve = await approver.PostAsJsonAsync($"/api/alerts/{updateId}/approve", new { comment = "zone grown" });
        Assert.True(approve.StatusCode == HttpStatusCode.NoContent, await approve.Content.ReadAsStringAsync());
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var queued = (await connection.QueryAsync<(long Id, int AlertId, string Channel, int ListId)>("""
            SELECT id, alert_id, channel, recipient_list_id FROM deliveries WHERE alert_id = ANY(@ids) AND recipient_list_id IS NOT NULL ORDER BY id
            """, new { ids = new[] { published.AlertId, updateId } })).ToList();
        var update = Assert.Single(queued, d => d.AlertId == updateId);
        Assert.Equal(("email-list", published.EmailList), (update.Channel, update.ListId));

        // The delivery panel asks for several list deliveries at once: each has its list's name and its own counts.
        await PublishingFactory.EventuallyAsync(async () => (await ListDeliveriesAsync(published.AlertId)).Values.All(d => d.Status == "succeeded")
                                                             && (await ListDeliveriesAsync(updateId))["email-list"].Status == "succeeded", "every list delivered");
        var progress = await app.Services.GetRequiredService<ListReceipts>().ProgressAsync([.. queued.Select(d => d.Id)]);
        Assert.Equal(queued.Select(d => d.Id).Order(), progress.Keys.Order());
        foreach (var delivery in queued)
        {
            var people = delivery.Channel == "sms-list" ? published.Phones.Length : published.Emails.Length;
            var listed = progress[delivery.Id];
            Assert.Equal((people, people, 0), (listed.Total, listed.Sent, listed.Failed));
            Assert.StartsWith(delivery.Channel == "sms-list" ? "sms list " : "email list ", listed.ListName, StringComparison.Ordinal);
            Assert.Empty(listed.FailedRecipients);
        }
    }

    [Fact]
    public async Task An_unreachable_smtp_server_is_reported_on_the_list_delivery_and_a_retry_reaches_everyone_once()
    {
        app.Smtp.Stop();
        Published published;
        try
        {
            published = await ApproveToListsAsync();
            await PublishingFactory.EventuallyAsync(async () => (await ListDeliveriesAsync(published.AlertId)).GetValueOrDefault("email-list").Status == "failed",
                "the email list given up after its dispatches");
        }
        finally
        {
            app.Smtp.Start();
        }
        var email = (await ListDeliveriesAsync(published.AlertId))["email-list"];
        Assert.True(email.Error!.Contains($"the SMTP server 127.0.0.1:{app.Smtp.Port} could not be reached", StringComparison.Ordinal)
                    || email.Error.Contains("Email list is failing repeatedly", StringComparison.Ordinal), email.Error);
        Assert.DoesNotContain(app.Smtp.Messages, m => published.Emails.Any(m.RcptTo.Contains));

        // A person retries once the server is back: everyone gets it, once.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var deliveryId = await connection.ExecuteScalarAsync<long>("SELECT id FROM deliveries WHERE alert_id = @AlertId AND channel = 'email-list'", new { published.AlertId });
        var op = await SignedInAsync(Roles.Operator);
        var retry = await op.PostAsync($"/api/deliveries/{deliveryId}/retry", null);
        Assert.True(retry.IsSuccessStatusCode, await retry.Content.ReadAsStringAsync());
        await PublishingFactory.EventuallyAsync(async () => (await ListDeliveriesAsync(published.AlertId))["email-list"].Status == "succeeded", "the retried list delivered");
        Assert.All(published.Emails, e => Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(e)));
    }

    [Fact]
    public async Task An_approved_rebuttal_goes_to_an_sms_list_with_its_sms_text_and_to_an_email_list_with_its_longest_text()
    {
        var admin = await SignedInAsync(Roles.Admin);
        var writer = await SignedInAsync(Roles.Operator);
        var checker = await SignedInAsync(Roles.Approver);
        var tag = Unique();
        var phone = "+4477009" + Random.Shared.Next(10000, 99999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var email = $"resident.{tag}@riverside.example.gov";
        var smsList = await CreateListAsync(admin, "sms");
        var emailList = await CreateListAsync(admin, "email");
        await ImportAsync(admin, smsList, phone);
        await ImportAsync(admin, emailList, email);
        var incidentId = (await (await writer.PostAsJsonAsync("/api/incidents", new { name = "Dam rumour " + tag })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var drafted = await writer.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
        {
            title = "The dam has not failed",
            variants = new Dictionary<string, string> { ["Mastodon"] = "The dam has not failed. Engineers are on site and the reservoir is being lowered.", ["X"] = "The dam has not failed." },
        });
        var id = await CreatedIdAsync(drafted);
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/rebuttals/{id}/submit", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await checker.PostAsJsonAsync($"/api/rebuttals/{id}/approve", new { comment = "ok" })).StatusCode);

        // No SMS text yet: an SMS list is refused with the reason, nothing queued.
        var refused = await writer.PostAsJsonAsync($"/api/rebuttals/{id}/publish", new { channels = Array.Empty<string>(), lists = new[] { smsList } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("SMS text", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var published = await writer.PostAsJsonAsync($"/api/rebuttals/{id}/publish", new { channels = Array.Empty<string>(), lists = new[] { emailList } });
        Assert.True(published.StatusCode == HttpStatusCode.OK, await published.Content.ReadAsStringAsync());
        Assert.Equal(["email-list"], (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        await PublishingFactory.EventuallyAsync(() => Task.FromResult(app.Smtp.Messages.Any(m => m.RcptTo.Contains(email))), "the email list reached");
        var mail = Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(email));
        Assert.Contains("Subject: The dam has not failed", mail.Data, StringComparison.Ordinal);
        Assert.Contains("the reservoir is being lowered", mail.Data, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Twilio.Messages, m => m.To == phone);
    }
}
