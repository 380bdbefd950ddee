using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Alerts;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Publishing;
using Dapper;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>Alerts through the real host: the two-person rule, drills, the outbox to every channel, the public feed.</summary>
public sealed class AlertPublishingTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    private static StringContent Cap(CapAlert alert) => new(CapXml.Write(alert), Encoding.UTF8, CapXml.MediaType);

    private async Task<int> OpenIncidentAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/api/incidents", new { name });
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static async Task<int> CreatedIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private async Task<(HttpClient Operator, string OperatorName, HttpClient Approver, string ApproverName)> TeamAsync()
    {
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        return (await app.SignedInClientAsync(op, opPassword), op, await app.SignedInClientAsync(approver, approverPassword), approver);
    }

    private async Task<string[]> DeliveryStatusesAsync(int alertId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("SELECT channel || ':' || status FROM deliveries WHERE alert_id = @alertId ORDER BY channel", new { alertId })).ToArray();
    }

    private Task AllDeliveredAsync(int alertId) => PublishingFactory.EventuallyAsync(async () =>
    {
        var statuses = await DeliveryStatusesAsync(alertId);
        return statuses.Length > 0 && statuses.All(s => s.EndsWith(":succeeded", StringComparison.Ordinal));
    }, $"every delivery of alert {alertId} succeeded");

    private async Task<string> IdentifierAsync(HttpClient client, int alertId) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/alerts/{alertId}")).GetProperty("alert").GetProperty("identifier").GetString()!;

    [Fact]
    public async Task An_alert_is_drafted_refused_to_its_author_approved_by_another_and_then_updated_and_cancelled_on_every_channel()
    {
        var (operatorClient, operatorName, approverClient, approverName) = await TeamAsync();
        var incidentId = await OpenIncidentAsync(operatorClient, "River Ouse flood");
        var alertId = await CreatedIdAsync(await operatorClient.PostAsync($"/api/incidents/{incidentId}/alerts", Cap(AlertSamples.Flood())));
        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.PostAsync($"/api/alerts/{alertId}/submit", null)).StatusCode);

        // The Operator who drafted it cannot approve it (role), and the refusal is recorded.
        var selfApproval = await operatorClient.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "looks fine" });
        Assert.Equal(HttpStatusCode.Forbidden, selfApproval.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await approverClient.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "checked with the EA" })).StatusCode);
        await AllDeliveredAsync(alertId);
        Assert.Equal(["bluesky:succeeded", "cap-feed:succeeded", "mastodon:succeeded", "webhook:succeeded", "x:succeeded"], await DeliveryStatusesAsync(alertId));

        var identifier = await IdentifierAsync(operatorClient, alertId);
        var anonymous = app.NewClient();
        var feed = await anonymous.GetStringAsync("/cap/feed.atom");
        Assert.Contains($"<cap:identifier>{identifier}</cap:identifier>", feed, StringComparison.Ordinal);
        var document = await anonymous.GetStringAsync($"/cap/alerts/{identifier}.xml");
        var published = CapXml.Read(document);
        Assert.DoesNotContain(CapValidator.Validate(document), p => p.IsError);
        Assert.Equal(("alerts@riverside.example.gov", CapStatus.Actual, CapMsgType.Alert), (published.Sender, published.Status, published.MsgType));
        Assert.Contains(app.Fakes.MastodonStatuses, s => s.Contains("Evacuate Lower Town", StringComparison.Ordinal) && s.Contains(identifier, StringComparison.Ordinal));
        Assert.Contains(app.Fakes.Webhooks, w => w.SignatureValid && w.Body.Contains(identifier, StringComparison.Ordinal));

        // Update: references the alert, goes to the same channels, and replaces it in the feed.
        var updateId = await CreatedIdAsync(await operatorClient.PostAsync($"/api/alerts/{alertId}/update", null));
        await operatorClient.PostAsync($"/api/alerts/{updateId}/submit", null);
        await approverClient.PostAsJsonAsync($"/api/alerts/{updateId}/approve", new { comment = "zone grown" });
        await AllDeliveredAsync(updateId);
        var updateIdentifier = await IdentifierAsync(operatorClient, updateId);
        var update = CapXml.Read(await anonymous.GetStringAsync($"/cap/alerts/{updateIdentifier}.xml"));
        Assert.Equal(CapMsgType.Update, update.MsgType);
        Assert.Equal([published.AsReference()], update.References.ToArray());
        feed = await anonymous.GetStringAsync("/cap/feed.atom");
        Assert.Contains(updateIdentifier, feed, StringComparison.Ordinal);
        Assert.DoesNotContain($"<cap:identifier>{identifier}</cap:identifier>", feed, StringComparison.Ordinal);
        Assert.Equal(5, (await DeliveryStatusesAsync(updateId)).Length);

        // Cancel: references both earlier messages; the feed now shows the thread as cancelled.
        var cancelId = await CreatedIdAsync(await operatorClient.PostAsync($"/api/alerts/{updateId}/cancel", null));
        await operatorClient.PostAsync($"/api/alerts/{cancelId}/submit", null);
        await approverClient.PostAsJsonAsync($"/api/alerts/{cancelId}/approve", new { comment = "water receding" });
        await AllDeliveredAsync(cancelId);
        var cancelIdentifier = await IdentifierAsync(operatorClient, cancelId);
        var cancel = CapXml.Read(await anonymous.GetStringAsync($"/cap/alerts/{cancelIdentifier}.xml"));
        Assert.Equal(CapMsgType.Cancel, cancel.MsgType);
        Assert.Equal([published.AsReference(), update.AsReference()], cancel.References.ToArray());
        feed = await anonymous.GetStringAsync("/cap/feed.atom");
        Assert.Contains("<cap:msgType>Cancel</cap:msgType>", feed, StringComparison.Ordinal);
        Assert.DoesNotContain(updateIdentifier, feed, StringComparison.Ordinal);
        Assert.Contains(app.Fakes.Tweets, t => t.StartsWith("CANCELLED: ", StringComparison.Ordinal));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @operatorName AND payload->>'action' = 'approve an alert'", new { operatorName }));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'alert.approved' AND actor = @approverName", new { approverName }));
        Assert.Null(await CrisisDesk.Data.Events.EventLog.VerifyAsync(app.Database.DataSource));
        var eventText = string.Join("\n", await connection.QueryAsync<string>("SELECT payload::text FROM events"));
        Assert.DoesNotContain(FakeChannelServers.MastodonToken, eventText, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeChannelServers.WebhookSecret, eventText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approver_who_drafted_an_alert_cannot_approve_it_and_the_refusal_is_recorded()
    {
        var (approver, password) = await app.CreateUserAsync(Roles.Approver);
        var client = await app.SignedInClientAsync(approver, password);
        var incidentId = await OpenIncidentAsync(client, "Self approval attempt");
        var alertId = await CreatedIdAsync(await client.PostAsync($"/api/incidents/{incidentId}/alerts", Cap(AlertSamples.Flood())));
        await client.PostAsync($"/api/alerts/{alertId}/submit", null);

        var approve = await client.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "mine" });
        var reject = await client.PostAsJsonAsync($"/api/alerts/{alertId}/reject", new { comment = "mine" });

        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
        Assert.Contains("another Approver", await approve.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, reject.StatusCode);
        Assert.Empty(await DeliveryStatusesAsync(alertId));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal("submitted", await connection.ExecuteScalarAsync<string>("SELECT state FROM alerts WHERE id = @alertId", new { alertId }));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM events WHERE action = 'authorization.denied' AND actor = @approver AND payload->>'rule' = 'two-person'", new { approver }));
    }

    [Fact]
    public async Task An_approver_who_revised_someone_elses_draft_cannot_approve_it()
    {
        var (operatorClient, _, approverClient, _) = await TeamAsync();
        var incidentId = await OpenIncidentAsync(operatorClient, "Co-written alert");
        var alertId = await CreatedIdAsync(await operatorClient.PostAsync($"/api/incidents/{incidentId}/alerts", Cap(AlertSamples.Flood())));
        Assert.Equal(HttpStatusCode.OK, (await approverClient.PutAsync($"/api/alerts/{alertId}", Cap(AlertSamples.Flood("Evacuate Lower Town and Quay Street now")))).StatusCode);
        await operatorClient.PostAsync($"/api/alerts/{alertId}/submit", null);

        var approve = await approverClient.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "ok" });

        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
    }

    [Fact]
    public async Task An_invalid_alert_cannot_be_submitted_and_its_problems_are_named_by_field()
    {
        var (operatorClient, _, _, _) = await TeamAsync();
        var incidentId = await OpenIncidentAsync(operatorClient, "Bad polygon");
        var sample = AlertSamples.Flood();
        var openPolygon = sample with
        {
            Infos = [sample.Infos[0] with { Areas = [new CapArea { AreaDesc = "Lower Town", Polygons = [new CapPolygon([new(53.9m, -1.0m), new(53.91m, -1.0m), new(53.9m, -1.01m)])] }] }],
        };
        var draft = await operatorClient.PostAsync($"/api/incidents/{incidentId}/alerts", Cap(openPolygon));
        var alertId = await CreatedIdAsync(draft);

        var submit = await operatorClient.PostAsync($"/api/alerts/{alertId}/submit", null);

        Assert.Equal(HttpStatusCode.BadRequest, submit.StatusCode);
        var problem = await submit.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(problem.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith("info[1].area[1].polygon[1]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_a_drill_an_actual_alert_is_published_as_an_exercise()
    {
        var (operatorClient, _, approverClient, _) = await TeamAsync();
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var drillId = await connection.ExecuteScalarAsync<int>("SELECT id FROM incidents WHERE is_drill ORDER BY id LIMIT 1");
        var alertId = await CreatedIdAsync(await operatorClient.PostAsync($"/api/incidents/{drillId}/alerts", Cap(AlertSamples.Flood("Drill flood headline", CapStatus.Actual))));
        // Even if a writer tries to set it back to Actual.
        await operatorClient.PutAsync($"/api/alerts/{alertId}", Cap(AlertSamples.Flood("Drill flood headline", CapStatus.Actual)));
        await operatorClient.PostAsync($"/api/alerts/{alertId}/submit", null);
        await approverClient.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "drill" });
        await AllDeliveredAsync(alertId);

        var identifier = await IdentifierAsync(operatorClient, alertId);
        var published = CapXml.Read(await app.NewClient().GetStringAsync($"/cap/alerts/{identifier}.xml"));
        Assert.Equal(CapStatus.Exercise, published.Status);
        Assert.Contains(app.Fakes.Tweets, t => t.StartsWith("[EXERCISE] Drill flood headline", StringComparison.Ordinal));
        Assert.Contains(app.Fakes.BlueskyRecords.Values, t => t.StartsWith("[EXERCISE] Drill flood headline", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_delivery_can_be_retried_and_abandoned_by_an_operator_only()
    {
        var (operatorClient, _, _, _) = await TeamAsync();
        var (viewer, viewerPassword) = await app.CreateUserAsync(Roles.Viewer);
        var viewerClient = await app.SignedInClientAsync(viewer, viewerPassword);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var incidentId = await connection.ExecuteScalarAsync<int>("INSERT INTO incidents (name) VALUES ('Delivery admin') RETURNING id");
        var alertId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO alerts (incident_id, identifier, msg_type, cap_status, headline, cap_xml, state, author, editors)
            VALUES (@incidentId, @identifier, 'Alert', 'Actual', 'x', 'x', 'approved', 'w', ARRAY['w']) RETURNING id
            """, new { incidentId, identifier = "manual-" + Guid.NewGuid().ToString("N") });
        var deliveryId = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO deliveries (incident_id, alert_id, channel, idempotency_key, status, attempts) VALUES (@incidentId, @alertId, 'sms', gen_random_uuid(), 'failed', 5) RETURNING id",
            new { incidentId, alertId });

        Assert.Equal(HttpStatusCode.Forbidden, (await viewerClient.PostAsync($"/api/deliveries/{deliveryId}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.PostAsync($"/api/deliveries/{deliveryId}/retry", null)).StatusCode);
        // 'sms' is no channel of ours: the dispatcher fails it again, for a person to abandon.
        await PublishingFactory.EventuallyAsync(async () => await connection.ExecuteScalarAsync<string>("SELECT status FROM deliveries WHERE id = @deliveryId", new { deliveryId }) == "failed",
            "the retried delivery failed again");
        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.PostAsync($"/api/deliveries/{deliveryId}/abandon", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await operatorClient.PostAsync($"/api/deliveries/{deliveryId}/retry", null)).StatusCode);

        Assert.Equal("abandoned", await connection.ExecuteScalarAsync<string>("SELECT status FROM deliveries WHERE id = @deliveryId", new { deliveryId }));
        Assert.Equal(["delivery.retried", "delivery.failed", "delivery.abandoned"], (await connection.QueryAsync<string>(
            "SELECT action FROM events WHERE payload->>'deliveryId' = @id ORDER BY seq", new { id = deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToArray());
    }
}
