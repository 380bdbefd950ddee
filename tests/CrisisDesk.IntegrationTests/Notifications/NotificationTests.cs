using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Notifications;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrisisDesk.IntegrationTests.Notifications;

/// <summary>
/// Notifications through the real host: an alert waiting for approval reaches the approver in the app, by email
/// (a real SMTP conversation with AUTH) and by SMS (the Twilio wire format, through 429 and 503), each with the link to
/// act on; bad contacts are refused at their field; an unreachable SMTP server is retried, then given up with the reason,
/// the notification kept; read again after a crash, the log tells nobody twice.
/// </summary>
public sealed class NotificationTests(NotificationsFactory app) : IClassFixture<NotificationsFactory>
{
    private const string PublicRoot = "https://alerts.riverside.example.gov/";

    private static StringContent Cap(CapAlert alert) => new(CapXml.Write(alert), Encoding.UTF8, CapXml.MediaType);

    private static CapAlert NotUrgent() => AlertSamples.Flood("Flood warning for the riverside path") is var alert
        ? alert with { Infos = [alert.Infos[0] with { Urgency = CapUrgency.Expected, Severity = CapSeverity.Moderate }] }
        : throw new InvalidOperationException();

    private static async Task<int> CreatedIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private sealed record Team(HttpClient Operator, string OperatorName, HttpClient Approver, string ApproverName, string Email, string Phone, int IncidentId);

    private async Task<Team> TeamAsync((string From, string Until)? quiet = null)
    {
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var operatorClient = await app.SignedInClientAsync(op, opPassword);
        var approverClient = await app.SignedInClientAsync(approver, approverPassword);
        var email = $"{approver}@riverside.example.gov";
        var phone = "+44 7700 9" + Random.Shared.Next(10000, 99999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = await approverClient.PutAsJsonAsync("/api/notifications/settings", new
        {
            email,
            phone,
            quietFrom = quiet?.From,
            quietUntil = quiet?.Until,
            timeZone = "UTC",
            rules = new[] { new { kind = "approval", inApp = true, email = true, sms = true, minSeverity = (string?)null } },
        });
        Assert.True(settings.StatusCode == HttpStatusCode.NoContent, await settings.Content.ReadAsStringAsync());
        var incident = await operatorClient.PostAsJsonAsync("/api/incidents", new { name = "River Ouse flood " + op });
        var incidentId = (await incident.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        return new Team(operatorClient, op, approverClient, approver, email, Contacts.NormalisePhone(phone), incidentId);
    }

    private static async Task<int> SubmitAlertAsync(Team team, CapAlert alert)
    {
        var alertId = await CreatedIdAsync(await team.Operator.PostAsync($"/api/incidents/{team.IncidentId}/alerts", Cap(alert)));
        Assert.Equal(HttpStatusCode.NoContent, (await team.Operator.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);
        return alertId;
    }

    private async Task<string[]> NotificationDeliveriesAsync(string userName)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("""
            SELECT d.channel || ':' || d.status FROM deliveries d JOIN notifications n ON n.id = d.notification_id JOIN users u ON u.id = n.user_id
             WHERE u.user_name = @userName ORDER BY d.id
            """, new { userName })).ToArray();
    }

    private static async Task<JsonElement> InboxAsync(HttpClient client) => await client.GetFromJsonAsync<JsonElement>("/api/notifications");

    /// <summary>The approval notifications in an inbox (the drill running beside these tests may add spikes).</summary>
    private static async Task<List<JsonElement>> ApprovalsAsync(HttpClient client) =>
        [.. (await InboxAsync(client)).GetProperty("items").EnumerateArray().Where(i => i.GetProperty("kind").GetString() == "approval")];

    [Fact]
    public async Task An_alert_waiting_for_approval_reaches_the_approver_in_the_app_by_email_and_by_sms_through_429_and_503_with_the_link()
    {
        var team = await TeamAsync();
        app.Twilio.FailuresToServe.Enqueue(429);
        app.Twilio.FailuresToServe.Enqueue(503);
        var alertId = await SubmitAlertAsync(team, AlertSamples.Flood());
        var link = $"{PublicRoot}incidents/{team.IncidentId}/alerts/{alertId}";

        await PublishingFactory.EventuallyAsync(async () => (await NotificationDeliveriesAsync(team.ApproverName)) is ["email:succeeded", "sms:succeeded"],
            "the approver's email and SMS delivered");
        var mail = Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(team.Email));
        Assert.Equal(FakeSmtpServer.UserName, mail.AuthenticatedAs);
        Assert.Equal("duty@riverside.example.gov", mail.MailFrom);
        Assert.Contains("Subject: [URGENT] Alert waiting for your approval", mail.Data, StringComparison.Ordinal);
        Assert.Contains(link, mail.Data, StringComparison.Ordinal);
        Assert.Contains($"{team.OperatorName} submitted the alert", mail.Data, StringComparison.Ordinal);
        var sms = Assert.Single(app.Twilio.Messages, m => m.To == team.Phone);
        Assert.Equal(FakeTwilio.From, sms.From);
        Assert.StartsWith("URGENT Alert waiting for your approval", sms.Body, StringComparison.Ordinal);
        Assert.EndsWith(link, sms.Body, StringComparison.Ordinal);
        Assert.True(app.Twilio.Calls >= 3, "the 429 and the 503 were answered before the SMS went");

        var item = Assert.Single(await ApprovalsAsync(team.Approver));
        Assert.Equal(JsonValueKind.Null, item.GetProperty("readAt").ValueKind);
        var unread = (await InboxAsync(team.Approver)).GetProperty("unread").GetInt32();
        Assert.Equal($"/incidents/{team.IncidentId}/alerts/{alertId}", item.GetProperty("link").GetString());
        Assert.Equal("approval", item.GetProperty("kind").GetString());
        // Nobody is asked to approve their own alert.
        Assert.DoesNotContain((await InboxAsync(team.Operator)).GetProperty("items").EnumerateArray(), i => i.GetProperty("kind").GetString() == "approval");

        var id = item.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await team.Approver.PostAsync($"/api/notifications/{id}/acknowledge", null)).StatusCode);
        Assert.Equal(unread - 1, (await InboxAsync(team.Approver)).GetProperty("unread").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, Assert.Single(await ApprovalsAsync(team.Approver)).GetProperty("acknowledgedAt").ValueKind);
        // Someone else's notification is not theirs to acknowledge.
        Assert.Equal(HttpStatusCode.NotFound, (await team.Operator.PostAsync($"/api/notifications/{id}/acknowledge", null)).StatusCode);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'notification.acknowledged' AND actor = @actor AND (payload ->> 'notificationId')::bigint = @id",
            new { actor = team.ApproverName, id }));
    }

    [Fact]
    public async Task An_sms_provider_that_does_not_answer_is_given_up_on_after_the_attempt_timeout_and_the_retry_delivers_once()
    {
        var team = await TeamAsync();
        app.Twilio.FailuresToServe.Enqueue(FakeTwilio.NoAnswer);
        var calls = app.Twilio.Calls;
        var alertId = await SubmitAlertAsync(team, AlertSamples.Flood());

        await PublishingFactory.EventuallyAsync(async () => (await NotificationDeliveriesAsync(team.ApproverName)).Contains("sms:succeeded"),
            "the approver's SMS delivered after the provider's silence");
        var sms = Assert.Single(app.Twilio.Messages, m => m.To == team.Phone);
        Assert.EndsWith($"/incidents/{team.IncidentId}/alerts/{alertId}", sms.Body, StringComparison.Ordinal);
        // Given up by the per-call timeout and made again by the dispatcher's retry pipeline, within the same dispatch.
        Assert.True(app.Twilio.Calls - calls >= 2, "the unanswered call was given up and made again");
    }

    [Fact]
    public async Task A_malformed_address_or_number_is_refused_at_its_field_and_nothing_is_saved()
    {
        var (user, password) = await app.CreateUserAsync(Roles.Approver);
        var client = await app.SignedInClientAsync(user, password);
        var response = await client.PutAsJsonAsync("/api/notifications/settings", new
        {
            email = "duty officer at riverside",
            phone = "07700 900123",
            timeZone = "UTC",
            rules = new[] { new { kind = "approval", inApp = true, email = true, sms = true } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("is not an email address", errors.GetProperty("email")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("international form", errors.GetProperty("phone")[0].GetString(), StringComparison.Ordinal);
        var settings = await client.GetFromJsonAsync<JsonElement>("/api/notifications/settings");
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("email").ValueKind);
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("phone").ValueKind);
    }

    [Fact]
    public async Task Quiet_hours_hold_back_email_and_sms_but_not_an_urgent_alert_and_the_app_still_counts_both()
    {
        var now = TimeOnly.FromDateTime(DateTime.UtcNow);
        var team = await TeamAsync((now.AddHours(-1).ToString("HH:mm:ss", null), now.AddHours(1).ToString("HH:mm:ss", null)));

        var calm = await SubmitAlertAsync(team, NotUrgent());
        var urgent = await SubmitAlertAsync(team, AlertSamples.Flood());

        await PublishingFactory.EventuallyAsync(async () => (await NotificationDeliveriesAsync(team.ApproverName)) is ["email:succeeded", "sms:succeeded"],
            "the urgent alert's email and SMS delivered");
        var approvals = await ApprovalsAsync(team.Approver);
        Assert.Equal(2, approvals.Count(i => i.GetProperty("readAt").ValueKind == JsonValueKind.Null));
        var mail = Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(team.Email));
        Assert.Contains($"/alerts/{urgent}", mail.Data, StringComparison.Ordinal);
        Assert.DoesNotContain($"/alerts/{calm}\r\n", mail.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_smtp_server_is_retried_then_given_up_with_the_reason_and_the_notification_is_kept()
    {
        var team = await TeamAsync();
        app.Smtp.Stop();
        try
        {
            await SubmitAlertAsync(team, AlertSamples.Flood());
            await PublishingFactory.EventuallyAsync(async () => (await NotificationDeliveriesAsync(team.ApproverName)).Contains("email:failed"),
                "the email given up after its dispatches");
        }
        finally
        {
            app.Smtp.Start();
        }
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var (attempts, error) = await connection.QuerySingleAsync<(int, string)>("""
            SELECT d.attempts, d.last_error FROM deliveries d JOIN notifications n ON n.id = d.notification_id JOIN users u ON u.id = n.user_id
             WHERE u.user_name = @userName AND d.channel = 'email'
            """, new { userName = team.ApproverName });
        Assert.Equal(5, attempts);
        // The last reason is the connection's, or the circuit breaker's that stopped calling a server that never answers.
        Assert.True(error.Contains($"the SMTP server 127.0.0.1:{app.Smtp.Port} could not be reached", StringComparison.Ordinal)
                    || error.Contains("Email is failing repeatedly", StringComparison.Ordinal), error);
        Assert.Single(await ApprovalsAsync(team.Approver));
        Assert.Contains("sms:succeeded", await NotificationDeliveriesAsync(team.ApproverName));
        // A failed notification is not itself news: nobody is told about it (no loop).
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM notifications WHERE kind = 'delivery' AND created_at > now() - interval '1 minute' AND body LIKE '%Email%'
            """));
    }

    [Fact]
    public async Task Read_again_after_a_crash_the_event_log_tells_nobody_twice()
    {
        var team = await TeamAsync();
        await SubmitAlertAsync(team, AlertSamples.Flood());
        await PublishingFactory.EventuallyAsync(async () => (await NotificationDeliveriesAsync(team.ApproverName)) is ["email:succeeded", "sms:succeeded"],
            "the first notification delivered");
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var before = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notifications");
        var deliveriesBefore = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM deliveries WHERE notification_id IS NOT NULL");

        // As if the notifier died after writing and before its cursor moved: it reads the submission and all after it again.
        await connection.ExecuteAsync("""
            UPDATE notifier_cursor SET last_seq = (SELECT max(seq) - 1 FROM events WHERE action = 'alert.submitted' AND actor = @actor)
            """, new { actor = team.OperatorName });
        var notifier = app.Services.GetServices<IHostedService>().OfType<EventNotifier>().Single();
        while (await notifier.RunOnceAsync(CancellationToken.None) > 0)
        {
        }

        Assert.Equal(before, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM notifications"));
        Assert.Equal(deliveriesBefore, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM deliveries WHERE notification_id IS NOT NULL"));
        Assert.Single(app.Smtp.Messages, m => m.RcptTo.Contains(team.Email));
    }

    [Fact]
    public async Task A_spike_in_an_open_incident_reaches_an_operator_with_no_page_open_once()
    {
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var client = await app.SignedInClientAsync(op, opPassword);
        // Written while the incident is closed (not watched), then opened: the watcher's first look sees it all.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name, closed_at) VALUES ('Spike test', now()) RETURNING id");
        var sourceId = await app.Database.NewSourceAsync(incidentId, name: "River gauge");
        var t0 = new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);
        var writer = new CrisisDesk.Data.Posts.PostWriter(app.Database.DataSource);
        for (var minute = 0; minute < 12; minute++)
            await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, $"calm{minute}-", 1, t0.AddMinutes(minute)));
        await writer.WriteAsync(TestIncidents.Batch(incidentId, sourceId, "burst-", 40, t0.AddMinutes(12)));
        await connection.ExecuteAsync("UPDATE incidents SET closed_at = NULL WHERE id = @incidentId", new { incidentId });

        await PublishingFactory.EventuallyAsync(async () =>
            (await InboxAsync(client)).GetProperty("items").EnumerateArray().Any(i => i.GetProperty("kind").GetString() == "spike"
                                                                                     && i.GetProperty("incidentId").GetInt32() == incidentId),
            "the operator told of the spike");
        await Task.Delay(TimeSpan.FromSeconds(1)); // several more looks at the same spike
        var spike = Assert.Single((await InboxAsync(client)).GetProperty("items").EnumerateArray(),
            i => i.GetProperty("kind").GetString() == "spike" && i.GetProperty("incidentId").GetInt32() == incidentId);
        Assert.Equal($"/incidents/{incidentId}", spike.GetProperty("link").GetString());
        // Told when the minute crossed the line (the war room's banner calls it at the same count), not at its end.
        var body = spike.GetProperty("body").GetString()!;
        Assert.Contains("posts in the minute from 06:12 UTC", body, StringComparison.Ordinal);
        Assert.True(body.Contains("River gauge", StringComparison.Ordinal), body);
        Assert.Contains("against a usual 1 a minute", body, StringComparison.Ordinal);
        await connection.ExecuteAsync("UPDATE incidents SET closed_at = now() WHERE id = @incidentId", new { incidentId });
    }

    [Fact]
    public async Task Nobody_acknowledging_in_time_escalates_to_the_next_on_the_incident_rota_and_an_acknowledgement_stops_it()
    {
        var team = await TeamAsync();
        var (second, secondPassword) = await app.CreateUserAsync(Roles.Viewer);
        var (third, thirdPassword) = await app.CreateUserAsync(Roles.Viewer);
        var secondClient = await app.SignedInClientAsync(second, secondPassword);
        var thirdClient = await app.SignedInClientAsync(third, thirdPassword);
        var secondEmail = $"{second}@riverside.example.gov";
        Assert.Equal(HttpStatusCode.NoContent, (await secondClient.PutAsJsonAsync("/api/notifications/settings", new { email = secondEmail, timeZone = "UTC" })).StatusCode);
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        // Only an Admin sets a rota; an unknown name is refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await team.Approver.PutAsJsonAsync($"/api/notifications/rota/{team.IncidentId}", new { userNames = new[] { second } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync($"/api/notifications/rota/{team.IncidentId}", new { userNames = new[] { "nobody-here" } })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/api/notifications/rota/{team.IncidentId}", new { userNames = new[] { second, third } })).StatusCode);

        var alertId = await SubmitAlertAsync(team, NotUrgent());

        // The approver does not acknowledge: after two seconds the next on the rota (a Viewer, on call) is told, by email too.
        await PublishingFactory.EventuallyAsync(async () => (await ApprovalsAsync(secondClient)).Count == 1, "the second on the rota told");
        var escalated = Assert.Single(await ApprovalsAsync(secondClient));
        Assert.StartsWith("Escalated: Alert waiting for your approval", escalated.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal($"/incidents/{team.IncidentId}/alerts/{alertId}", escalated.GetProperty("link").GetString());
        await PublishingFactory.EventuallyAsync(() => Task.FromResult(app.Smtp.Messages.Any(m => m.RcptTo.Contains(secondEmail))), "the escalation emailed");

        // The second acknowledges: nobody after them is told.
        Assert.Equal(HttpStatusCode.NoContent, (await secondClient.PostAsync($"/api/notifications/{escalated.GetProperty("id").GetInt64()}/acknowledge", null)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(await ApprovalsAsync(thirdClient));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'notification.escalated' AND incident_id = @IncidentId AND payload ->> 'to' = @second",
            new { team.IncidentId, second }));
    }

    [Fact]
    public async Task Two_admins_saving_one_rota_at_the_same_moment_both_succeed_and_the_later_save_is_the_rota()
    {
        var (a, _) = await app.CreateUserAsync(Roles.Viewer);
        var (b, _) = await app.CreateUserAsync(Roles.Viewer);
        var (c, _) = await app.CreateUserAsync(Roles.Viewer);
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var otherAdmin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Rota saved twice at once') RETURNING id");
        var path = $"/api/notifications/rota/{incidentId}";
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync(path, new { userNames = new[] { a, b } })).StatusCode);

        // The old rota's rows are held by a third transaction, so that both saves are under way when it ends: without a
        // turn per rota, both deleted the old rows and the second, not seeing the first's new ones, hit the unique
        // position (a server error).
        await using var holder = await app.Database.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT 1 FROM escalation_rotas WHERE incident_id = @incidentId FOR UPDATE", new { incidentId }, hold);
        var first = admin.PutAsJsonAsync(path, new { userNames = new[] { b, c } });
        var second = otherAdmin.PutAsJsonAsync(path, new { userNames = new[] { c, a } });
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (await connection.ExecuteScalarAsync<long>(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") < 2)
                await Task.Delay(20, guard.Token);
        }
        await hold.CommitAsync();

        var answers = await Task.WhenAll(first, second);
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode));
        var rota = (await admin.GetFromJsonAsync<JsonElement>(path)).GetProperty("userNames").EnumerateArray().Select(n => n.GetString()!).ToArray();
        var saved = await connection.QueryAsync<string>(
            "SELECT payload ->> 'userNames' FROM events WHERE action = 'escalation.rota-set' AND incident_id = @incidentId ORDER BY seq", new { incidentId });
        // Whichever save took its turn last is the rota, and the log has all three saves in that order.
        Assert.Equal(3, saved.Count());
        Assert.Equal(JsonSerializer.Serialize(rota), saved.Last().Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_incident_without_a_rota_of_its_own_escalates_down_the_default_rota_and_one_with_its_own_keeps_to_it()
    {
        var (own, _) = await app.CreateUserAsync(Roles.Viewer);
        var (first, _) = await app.CreateUserAsync(Roles.Viewer);
        var (second, _) = await app.CreateUserAsync(Roles.Viewer);
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var plain = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Default rota test') RETURNING id");
        var owned = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Own rota test') RETURNING id");
        async Task SetRotaAsync(string path, params string[] userNames) =>
            Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync(path, new { userNames })).StatusCode);
        async Task<string[]> RotaAsync(string path) =>
            [.. (await admin.GetFromJsonAsync<JsonElement>(path)).GetProperty("userNames").EnumerateArray().Select(n => n.GetString()!)];
        async Task<string> OverdueAsync(int incidentId)
        {
            var key = $"rota-test:{Guid.NewGuid():N}";
            await connection.ExecuteAsync("""
                INSERT INTO notifications (user_id, incident_id, kind, title, body, link, dedupe_key, created_at)
                SELECT id, @incidentId, 'approval', 'Rebuttal waiting for your approval', 'Nobody looked.', '/incidents/' || @incidentId, @key, now() - interval '1 minute'
                  FROM users WHERE user_name = @admin
                """, new { incidentId, key, admin = CrisisDeskFactory.AdminUser });
            return key;
        }
        async Task<string[]> ToldAsync(string key) => [.. await connection.QueryAsync<string>("""
            SELECT u.user_name || ':' || n.escalation_step FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE n.dedupe_key = @key AND n.escalation_step > 0 ORDER BY n.escalation_step
            """, new { key })];

        try
        {
            // Set, then replaced by a rota that moves a person up a place: the old one is gone before the new one is written.
            await SetRotaAsync("/api/notifications/rota", own, first);
            await SetRotaAsync("/api/notifications/rota", first, second);
            Assert.Equal([first, second], await RotaAsync("/api/notifications/rota"));
            await SetRotaAsync($"/api/notifications/rota/{owned}", own);
            Assert.Equal([own], await RotaAsync($"/api/notifications/rota/{owned}"));
            Assert.Empty(await RotaAsync($"/api/notifications/rota/{plain}"));

            var plainKey = await OverdueAsync(plain);
            var ownedKey = await OverdueAsync(owned);

            // Nobody acknowledges: the default rota is worked down one step at a time, then it ends.
            await PublishingFactory.EventuallyAsync(async () => (await ToldAsync(plainKey)).Length == 2, "both on the default rota told");
            Assert.Equal([$"{first}:1", $"{second}:2"], await ToldAsync(plainKey));
            // The incident with a rota of its own keeps to it: its one person, and nobody from the default rota after them.
            await PublishingFactory.EventuallyAsync(async () => (await ToldAsync(ownedKey)).Length == 1, "the incident's own rota told");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal([$"{own}:1"], await ToldAsync(ownedKey));
            Assert.Equal([$"{first}:1", $"{second}:2"], await ToldAsync(plainKey));
        }
        finally
        {
            // The default rota applies to every incident without one: the other tests here expect none.
            await SetRotaAsync("/api/notifications/rota");
        }
        Assert.Empty(await RotaAsync("/api/notifications/rota"));
    }

    [Fact]
    public async Task Marking_chosen_notifications_read_marks_only_the_persons_own_unread_ones_and_records_each_once()
    {
        var (viewer, password) = await app.CreateUserAsync(Roles.Viewer);
        var (other, _) = await app.CreateUserAsync(Roles.Viewer);
        var client = await app.SignedInClientAsync(viewer, password);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name, closed_at) VALUES ('Mark read test', now()) RETURNING id");
        async Task<long> NotifyAsync(string userName, string key) => await connection.ExecuteScalarAsync<long>("""
            INSERT INTO notifications (user_id, incident_id, kind, title, body, link, dedupe_key)
            SELECT id, @incidentId, 'source', 'Source stopped', 'A source stopped.', '/incidents/' || @incidentId || '/sources', @key FROM users WHERE user_name = @userName
            RETURNING id
            """, new { userName, incidentId, key });
        var chosen = await NotifyAsync(viewer, "mark-read:chosen");
        var left = await NotifyAsync(viewer, "mark-read:left");
        var theirs = await NotifyAsync(other, "mark-read:theirs");

        async Task<int> MarkAsync(params long[] ids)
        {
            var response = await client.PostAsJsonAsync("/api/notifications/read", new { ids });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("marked").GetInt32();
        }

        // Someone else's notification in the list is not theirs to mark.
        Assert.Equal(1, await MarkAsync(chosen, theirs));
        Assert.Equal(0, await MarkAsync(chosen));
        var items = (await InboxAsync(client)).GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, items[chosen].GetProperty("readAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[left].GetProperty("readAt").ValueKind);
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT read_at IS NULL FROM notifications WHERE id = @theirs", new { theirs }));
        Assert.Equal(new[] { $"[{chosen}]" }, (await connection.QueryAsync<string>(
            "SELECT (payload -> 'notificationIds')::text FROM events WHERE action = 'notification.read' AND actor = @viewer", new { viewer })).ToArray());
    }
}
