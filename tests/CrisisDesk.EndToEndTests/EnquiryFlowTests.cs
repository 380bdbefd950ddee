using System.Text.Json;
using CrisisDesk.EndToEndTests.Support;
using CrisisDesk.TestSupport;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace CrisisDesk.EndToEndTests;

/// <summary>
/// Issue 18 end to end, at desktop and phone size: a resident asks the organisation's X account a question; the
/// enquiry arrives live in two operators' inboxes; operator A takes it and operator B sees it taken at once and cannot
/// answer it; A replies from the inbox and a fake X (POST /2/tweets as documented) receives one reply, in the thread
/// of the resident's post.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class EnquiryFlowTests(BrowserFixture browser) : AppTests(browser)
{
    private const string Token = "e2e-x-user-token";
    private const string ResidentTweetId = "1800000000000000042";
    private readonly List<(string Text, string? InReplyTo)> _tweets = [];
    private FakeServer _x = default!;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["CrisisDesk:Drill:OpenOnFirstRun"] = "false",
        ["CrisisDesk:Publishing:PollInterval"] = "00:00:00.200",
        ["CrisisDesk:Enquiries:ScanInterval"] = "00:00:00.200",
        ["CrisisDesk:Secrets:X:Riverside"] = Token,
        ["CrisisDesk:SecretHosts:X:Riverside"] = _x.Address.Host,
        ["CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback"] = "true",
    };

    public override async Task InitializeAsync()
    {
        // X's POST /2/tweets: a reply names its parent in reply.in_reply_to_tweet_id, which must exist; 201 with data.id.
        _x = await FakeServer.StartAsync(web => web.MapPost("/2/tweets", async (HttpContext http) =>
        {
            if (http.Request.Headers.Authorization.ToString() != "Bearer " + Token)
                return Results.Json(new { title = "Unauthorized", status = 401 }, statusCode: 401);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            var parent = body.TryGetProperty("reply", out var reply) ? reply.GetProperty("in_reply_to_tweet_id").GetString() : null;
            if (parent is not null && parent != ResidentTweetId)
                return Results.Json(new { title = "Forbidden", status = 403, detail = "You attempted to reply to a Tweet that is deleted or not visible to you." }, statusCode: 403);
            lock (_tweets)
                _tweets.Add((body.GetProperty("text").GetString()!, parent));
            return Results.Json(new { data = new { id = "1800000000000000099", text = body.GetProperty("text").GetString() } }, statusCode: 201);
        }));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _x.DisposeAsync();
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task An_enquiry_is_taken_by_one_operator_seen_taken_by_the_other_and_answered_once_in_its_thread(int width, int height)
    {
        var admin = await NewPageAsync();
        await admin.SetViewportSizeAsync(width, height);
        await admin.SignInAsync("admin", AdminPassword);
        await admin.AddUserAsync("op.a", "Operator A", "Operator", "op.a-password-1");
        await admin.AddUserAsync("op.b", "Operator B", "Operator", "op.b-password-1");
        var incidentId = await CreatedIdAsync(admin, "/api/incidents", new { name = "Riverside flooding" });
        // The organisation's X account (credential by name) and the team's rule: operators' X replies need no approval here.
        await SendAsync(admin, "PUT", $"/api/incidents/{incidentId}/accounts/x", new { handle = "@RiversideCC", baseUrl = _x.Address.ToString(), secretName = "X:Riverside" });
        await SendAsync(admin, "PUT", "/api/reply-rules/x/Operator", new { needsApproval = false });
        await admin.GotoAsync($"/incidents/{incidentId}/accounts");
        await admin.WaitForCircuitAsync();
        await admin.GetByTestId("account-x").Filter(new() { HasTextString = "Configured" }).WaitForAsync();
        await ShotAsync(admin, "accounts", width);

        var a = await PersonAsync("op.a", "op.a-password-1", width, height);
        var b = await PersonAsync("op.b", "op.b-password-1", width, height);
        foreach (var page in new[] { a, b })
        {
            await page.GotoAsync($"/incidents/{incidentId}/enquiries");
            await page.WaitForCircuitAsync();
            await page.GetByTestId("enquiries-empty").WaitForAsync();
        }

        // The resident's question is stored as a source would store it; the detector opens the enquiry and both inboxes show it.
        await StoreTweetAsync(incidentId, ResidentTweetId, "@riversidecc when will the Bridge Street road reopen?");
        var cardA = a.Locator($"[data-testid=enquiry]");
        var cardB = b.Locator($"[data-testid=enquiry]");
        await cardA.WaitForAsync();
        await cardB.WaitForAsync();
        Assert.Contains("Nobody has it", await cardB.GetByTestId("enquiry-holder").InnerTextAsync(), StringComparison.Ordinal);

        // A takes it; B sees it taken at once, and B's inbox offers only to take it over.
        await cardA.GetByTestId("enquiry-take").ClickAsync();
        await a.Locator("[data-testid=enquiry][data-assignee='op.a']").WaitForAsync();
        await b.Locator("[data-testid=enquiry][data-assignee='op.a']").WaitForAsync();
        Assert.Equal("op.a has it", await cardB.GetByTestId("enquiry-holder").InnerTextAsync());
        Assert.Equal(0, await cardB.GetByTestId("enquiry-take").CountAsync());

        // B opens the answer box anyway and tries: refused with who has it; nothing goes to X.
        await cardB.GetByTestId("enquiry-open").ClickAsync();
        await ReplyBox(cardB).FillAsync("It reopens tomorrow.");
        await cardB.GetByTestId("reply-send").ClickAsync();
        await cardB.GetByTestId("reply-error").Filter(new() { HasTextString = "op.a is answering this enquiry" }).WaitForAsync();

        // A answers from the inbox.
        await cardA.GetByTestId("enquiry-open").ClickAsync();
        await ReplyBox(cardA).FillAsync("Bridge Street reopens at 18:00 today once the water is cleared.");
        await ShotAsync(a, "enquiries", width);
        await cardA.GetByTestId("reply-send").ClickAsync();
        await PageActions.EventuallyAsync(async () =>
        {
            await using var connection = await Database.DataSource.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<string?>("SELECT d.status FROM deliveries d JOIN replies r ON r.id = d.reply_id WHERE r.incident_id = @incidentId", new { incidentId });
        }, s => s == "succeeded", "the reply to be delivered");
        lock (_tweets)
            Assert.Equal([("Bridge Street reopens at 18:00 today once the water is cleared.", (string?)ResidentTweetId)], _tweets);

        // Answered: it leaves both open lists; with closed shown it says who answered and how fast.
        await b.GetByTestId("enquiries-empty").WaitForAsync();
        await b.GetByText("Show closed").ClickAsync();
        await b.Locator("[data-testid=enquiry][data-status=answered]").WaitForAsync();
        await ShotAsync(b, "enquiries-answered", width);
        // The war room shows the inbox's figures, and the post's drawer its enquiry and the reply with X's id for it.
        await a.GotoAsync($"/incidents/{incidentId}");
        await a.WaitForCircuitAsync();
        await a.Locator("[data-testid=enquiry-metrics][data-open='0']").WaitForAsync();
        await a.GetByTestId("post-open").First.ClickAsync();
        await a.Locator("[data-testid=reply-item][data-delivery=succeeded]").Filter(new() { HasTextString = "1800000000000000099" }).WaitForAsync();
        await ShotAsync(a, "war-room-reply", width);
        await using var check = await Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM replies WHERE incident_id = @incidentId", new { incidentId }));
    }

    /// <summary>The reply's text box (MudBlazor puts the test id on the textarea or around it, depending on the version).</summary>
    private static ILocator ReplyBox(ILocator card) => card.Locator("textarea[data-testid=reply-text], [data-testid=reply-text] textarea").First;

    private async Task StoreTweetAsync(int incidentId, string tweetId, string text)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        var sourceId = await connection.ExecuteScalarAsync<int>("INSERT INTO sources (incident_id, kind, name) VALUES (@incidentId, 'test', 'resident posts') RETURNING id", new { incidentId });
        await connection.ExecuteAsync("""
            INSERT INTO posts (incident_id, source_id, platform, external_id, created_at, received_at, author_handle, text, url)
            VALUES (@incidentId, @sourceId, 'x', @tweetId, now(), now(), 'resident42', @text, 'https://x.com/resident42/status/' || @tweetId)
            """, new { incidentId, sourceId, tweetId, text });
    }

    private async Task<IPage> PersonAsync(string user, string password, int width, int height)
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await page.SignInAsync(user, password);
        return page;
    }

    /// <summary>Checks nothing reaches past the viewport's width, then keeps a screenshot (PageChecks.ScreenshotDirectory) for people to look at.</summary>
    private static async Task ShotAsync(IPage page, string name, int width)
    {
        await page.AssertNoHorizontalScrollAsync($"{name} at {width} px");
        await page.ScreenshotAsync($"{name}-{width}");
        if ((name, width) == ("enquiries", 1440))
            await page.ReadmePictureAsync("enquiries");
    }

    private static async Task<int> CreatedIdAsync(IPage page, string path, object body)
    {
        var response = await page.APIRequest.PostAsync(path, new() { DataObject = body, Headers = PageActions.ScriptHeaders });
        Assert.True(response.Status == 201, $"POST {path} answered {response.Status}: {await response.TextAsync()}");
        return (await response.JsonAsync())!.Value.GetProperty("id").GetInt32();
    }

    private static async Task SendAsync(IPage page, string method, string path, object body)
    {
        var response = await page.APIRequest.FetchAsync(path, new() { Method = method, DataObject = body, Headers = PageActions.ScriptHeaders });
        Assert.True(response.Ok, $"{method} {path} answered {response.Status}: {await response.TextAsync()}");
    }
}
