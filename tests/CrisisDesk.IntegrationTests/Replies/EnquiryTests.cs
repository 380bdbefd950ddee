using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.IntegrationTests.Publishing;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Enquiries;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Replies;

/// <summary>The enquiries inbox through the real host: detection by the rule, assignment under a row lock, answering in thread.</summary>
public sealed class EnquiryTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, args))!;
    }

    [Fact]
    public async Task A_question_to_the_organisation_becomes_an_enquiry_one_operator_holds_and_answers_in_its_thread()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Enquiries");
        var tweetId = "17950000000000" + Random.Shared.Next(10000, 99999);
        app.Fakes.KnownTweets[tweetId] = true;
        var question = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId, "@RiversideCC when will the A38 reopen");
        var notAQuestion = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId + "1", "Thanks @riversidecc for the update.");
        var someoneElse = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId + "2", "@riversidecc_fan is this true?");
        var (a, aPassword) = await app.CreateUserAsync(Roles.Approver);
        var (b, bPassword) = await app.CreateUserAsync(Roles.Approver);
        var operatorA = await app.SignedInClientAsync(a, aPassword);
        var operatorB = await app.SignedInClientAsync(b, bPassword);

        await PublishingFactory.EventuallyAsync(async () => await ScalarAsync<long>("SELECT coalesce(max(last_post_id), 0) FROM enquiry_scan WHERE incident_id = @incidentId", new { incidentId }) >= someoneElse,
            "the detector read the new posts" + string.Join("\n", app.ServerErrors.Entries));
        var enquiries = await operatorA.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/enquiries");
        var enquiry = Assert.Single(enquiries.EnumerateArray());
        Assert.Equal((question, "question", "open"), (enquiry.GetProperty("postId").GetInt64(), enquiry.GetProperty("reason").GetString(), enquiry.GetProperty("status").GetString()));
        var enquiryId = enquiry.GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await operatorA.PostAsync($"/api/posts/{notAQuestion}/enquiry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await operatorA.PostAsync($"/api/posts/{notAQuestion}/enquiry", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await operatorA.PostAsync($"/api/enquiries/{enquiryId}/take", null)).StatusCode);
        var taken = await operatorB.PostAsync($"/api/enquiries/{enquiryId}/take", null);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Contains($"{a} has already taken this enquiry", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var byB = await operatorB.PostAsJsonAsync($"/api/posts/{question}/replies", new { text = "Tonight." });
        Assert.Equal(HttpStatusCode.Conflict, byB.StatusCode);
        Assert.Contains($"{a} is answering this enquiry", await byB.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var closeByB = await operatorB.PostAsJsonAsync($"/api/enquiries/{enquiryId}/status", new { status = "no-answer-needed" });
        Assert.Equal(HttpStatusCode.Conflict, closeByB.StatusCode);

        var byA = await operatorA.PostAsJsonAsync($"/api/posts/{question}/replies", new { text = "The A38 reopens at 18:00 today." });
        Assert.Equal(HttpStatusCode.Created, byA.StatusCode);
        await PublishingFactory.EventuallyAsync(async () => await ScalarAsync<int>(
            "SELECT count(*) FROM deliveries d JOIN replies r ON r.id = d.reply_id WHERE r.post_id = @question AND d.status = 'succeeded'", new { question }) == 1, "the answer was delivered");
        Assert.Single(app.Fakes.TweetReplies, r => r.InReplyTo == tweetId);
        Assert.Equal(HttpStatusCode.Conflict, (await operatorA.PostAsJsonAsync($"/api/posts/{question}/replies", new { text = "Again." })).StatusCode);

        var metrics = await operatorA.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}/enquiries/metrics");
        Assert.Equal((2, 1, 1), (metrics.GetProperty("total").GetInt32(), metrics.GetProperty("open").GetInt32(), metrics.GetProperty("answered").GetInt32()));
        Assert.Equal(JsonValueKind.String, metrics.GetProperty("medianFirstAnswer").ValueKind);
        var x = Assert.Single(metrics.GetProperty("perChannel").EnumerateArray());
        Assert.Equal(("x", 2, 1), (x.GetProperty("platform").GetString(), x.GetProperty("total").GetInt32(), x.GetProperty("answered").GetInt32()));
        // The incident report carries the same figures.
        var report = await operatorA.GetStringAsync($"/api/review/incidents/{incidentId}/report.md");
        Assert.Contains("## Enquiries", report, StringComparison.Ordinal);
        Assert.Contains("| Answered | 1 |", report, StringComparison.Ordinal);
        Assert.Contains("| X | 2 | 1 | 50% |", report, StringComparison.Ordinal);
        Assert.Equal(["enquiry.opened", "enquiry.opened", "enquiry.assigned", "reply.drafted", "reply.sent", "enquiry.status-changed"],
            (await QueryAsync("SELECT action FROM events WHERE incident_id = @incidentId AND (action LIKE 'enquiry.%' OR action LIKE 'reply.%') ORDER BY seq", new { incidentId })).ToArray());
    }

    [Fact]
    public async Task Two_operators_taking_the_same_enquiry_at_once_get_one_success_and_one_conflict()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Enquiry race");
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", "17960000000000" + Random.Shared.Next(10000, 99999), "not mentioning anyone");
        var (a, aPassword) = await app.CreateUserAsync(Roles.Operator);
        var (b, bPassword) = await app.CreateUserAsync(Roles.Operator);
        var operatorA = await app.SignedInClientAsync(a, aPassword);
        var operatorB = await app.SignedInClientAsync(b, bPassword);
        var enquiryId = (await (await operatorA.PostAsync($"/api/posts/{postId}/enquiry", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var results = await Task.WhenAll(operatorA.PostAsync($"/api/enquiries/{enquiryId}/take", null), operatorB.PostAsync($"/api/enquiries/{enquiryId}/take", null));

        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.Conflict], results.Select(r => r.StatusCode).Order().ToArray());
        var holder = await ScalarAsync<string>("SELECT assigned_to FROM enquiries WHERE id = @enquiryId", new { enquiryId });
        Assert.Equal(results[0].StatusCode == HttpStatusCode.NoContent ? a : b, holder);
        Assert.Equal(1, await ScalarAsync<int>("SELECT count(*) FROM events WHERE action = 'enquiry.assigned' AND (payload->>'enquiryId')::int = @enquiryId", new { enquiryId }));
    }

    [Fact]
    public async Task An_answer_sent_twice_at_once_goes_out_once_and_the_second_hears_the_enquiry_is_answered()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Answer race");
        var tweetId = "17980000000000" + Random.Shared.Next(10000, 99999);
        app.Fakes.KnownTweets[tweetId] = true;
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", tweetId, "not mentioning anyone");
        // An Approver's reply goes out without waiting for approval (the default rule).
        var (a, aPassword) = await app.CreateUserAsync(Roles.Approver);
        var operatorA = await app.SignedInClientAsync(a, aPassword);
        Assert.Equal(HttpStatusCode.OK, (await operatorA.PostAsync($"/api/posts/{postId}/enquiry", null)).StatusCode);

        // A double click: the same answer, twice, at once.
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => operatorA.PostAsJsonAsync($"/api/posts/{postId}/replies", new { text = "The A38 reopens at 18:00." })));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], results.Select(r => r.StatusCode).Order().ToArray());
        Assert.Contains("already answered", await results.Single(r => r.StatusCode == HttpStatusCode.Conflict).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync<int>("SELECT count(*) FROM deliveries d JOIN replies r ON r.id = d.reply_id WHERE r.post_id = @postId", new { postId }));
        Assert.Equal(1, await ScalarAsync<int>("SELECT count(*) FROM events WHERE incident_id = @incidentId AND action = 'reply.sent'", new { incidentId }));
    }

    [Fact]
    public async Task The_inbox_finds_a_post_s_enquiry_and_lists_the_people_and_the_time_limit_as_the_database_holds_them()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        var incidentId = await ReplyPosts.IncidentWithAccountsAsync(app, admin, "Enquiry reads");
        var postId = await ReplyPosts.StoreAsync(app.Database, incidentId, "x", "17970000000000" + Random.Shared.Next(10000, 99999), "not mentioning anyone");
        var (a, aPassword) = await app.CreateUserAsync(Roles.Operator);
        var (viewer, _) = await app.CreateUserAsync(Roles.Viewer);
        var operatorA = await app.SignedInClientAsync(a, aPassword);
        var enquiryId = (await (await operatorA.PostAsync($"/api/posts/{postId}/enquiry", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var queries = app.Services.GetRequiredService<EnquiryQueries>();

        var view = await queries.ForPostAsync(postId);
        Assert.Equal((enquiryId, incidentId, "marked", "open", a), (view!.Id, view.IncidentId, view.Reason, view.Status, view.OpenedBy));
        Assert.Null(await queries.ForPostAsync(long.MaxValue));
        var operators = await queries.OperatorsAsync();
        Assert.Contains(a, operators);
        Assert.DoesNotContain(viewer, operators);
        Assert.Equal(await QueryAsync("SELECT user_name FROM users WHERE NOT disabled AND role IN ('Operator', 'Approver', 'Admin') ORDER BY lower(user_name)", new { }), operators);
        Assert.Equal(await ScalarAsync<int>("SELECT sla_minutes FROM enquiry_rule"), await queries.SlaMinutesAsync());
    }

    [Fact]
    public async Task The_inbox_lists_open_enquiries_longest_waiting_first_then_closed_newest_first_with_each_one_s_latest_reply_and_its_delivery()
    {
        var admin = await app.SignedInClientAsync(CrisisDeskFactory.AdminUser, CrisisDeskFactory.AdminPassword);
        // No accounts: the detector leaves this incident alone, so the enquiries are only those written here.
        var incidentId = (await (await admin.PostAsJsonAsync("/api/incidents", new { name = "Inbox order" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var external = "17980000000000" + Random.Shared.Next(10000, 99999);
        var longText = new string('w', 1500);
        var posts = new List<long>();
        foreach (var (suffix, text) in new[] { ("a", longText), ("b", "Is the bridge open?"), ("c", "Answered already"), ("d", "No answer needed") })
            posts.Add(await ReplyPosts.StoreAsync(app.Database, incidentId, "x", external + suffix, text));
        var at = new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO enquiries (incident_id, post_id, reason, status, opened_by, opened_at, first_answered_at, closed_at)
                VALUES (@incidentId, @a, 'question', 'open', 'ann', @at + interval '2 minutes', NULL, NULL),
                       (@incidentId, @b, 'question', 'open', 'ann', @at + interval '1 minute', NULL, NULL),
                       (@incidentId, @c, 'question', 'answered', 'ann', @at + interval '3 minutes', @at + interval '4 minutes', @at + interval '4 minutes'),
                       (@incidentId, @d, 'marked', 'no-answer-needed', 'ann', @at + interval '5 minutes', NULL, @at + interval '6 minutes')
                """, new { incidentId, a = posts[0], b = posts[1], c = posts[2], d = posts[3], at });
            // Two replies to the second post: the inbox shows the later one and its outbox row.
            var replies = (await connection.QueryAsync<int>("""
                INSERT INTO replies (incident_id, post_id, platform, text, state, author, parent_ref)
                VALUES (@incidentId, @b, 'x', 'Not yet', 'rejected', 'ann', '{}'), (@incidentId, @b, 'x', 'Yes, since 9:00', 'sent', 'ann', '{}')
                RETURNING id
                """, new { incidentId, b = posts[1] })).Order().ToList();
            await connection.ExecuteAsync("""
                INSERT INTO deliveries (incident_id, reply_id, channel, idempotency_key, status, receipt)
                VALUES (@incidentId, @reply, 'x', gen_random_uuid(), 'succeeded', 'x:answer')
                """, new { incidentId, reply = replies[1] });
        }
        var queries = app.Services.GetRequiredService<EnquiryQueries>();

        var all = await queries.ListAsync(incidentId, includeClosed: true);
        var open = await queries.ListAsync(incidentId, includeClosed: false);

        Assert.Equal([posts[1], posts[0], posts[3], posts[2]], all.Select(e => e.PostId));
        Assert.Equal([posts[1], posts[0]], open.Select(e => e.PostId));
        var answered = all[0];
        Assert.Equal(("sent", "succeeded", "x:answer"), (answered.ReplyState, answered.ReplyDeliveryStatus, answered.ReplyReceipt));
        Assert.Equal(("x", "resident", "Is the bridge open?", at.AddMinutes(1)), (answered.Platform, answered.AuthorHandle, answered.Text, answered.OpenedAt));
        Assert.Equal(((string?)null, (string?)null, (string?)null), (all[1].ReplyState, all[1].ReplyDeliveryStatus, all[1].ReplyReceipt));
        Assert.Equal(longText[..1000], all[1].Text);
        Assert.Equal((at.AddMinutes(4), at.AddMinutes(4)), (all[3].FirstAnsweredAt, all[3].ClosedAt));
    }

    private async Task<IEnumerable<string>> QueryAsync(string sql, object args)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.QueryAsync<string>(sql, args);
    }
}
