using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CrisisDesk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.IntegrationTests.Notifications;

/// <summary>
/// The Twilio Messages API as documented: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, a form body with To,
/// From and Body, HTTP basic auth with the account sid and auth token; 201 Created with the message resource (sid
/// "SM…", status "queued"); 400 with error code 21211 for a number that is not one; 401 (code 20003) for bad
/// credentials. A test can make the next calls answer 429 (with Retry-After) or 503.
/// </summary>
public sealed partial class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "twilio-test-token";
    public const string From = "+15005550006";

    /// <summary>Queued in <see cref="FailuresToServe"/>: the call gets no answer at all.</summary>
    public const int NoAnswer = 0;

    private FakeServer? _server;

    public Uri BaseUrl { get; private set; } = default!;

    public ConcurrentQueue<(string To, string From, string Body)> Messages { get; } = new();

    /// <summary>
    /// Statuses (429, 503) served to the next calls before any is accepted; <see cref="NoAnswer"/> holds that call
    /// unanswered until the caller gives up (a provider that times out), and accepts nothing.
    /// </summary>
    public ConcurrentQueue<int> FailuresToServe { get; } = new();

    public int Calls;

    /// <summary>Called with each message as it is accepted (before the 201 goes out): the delivery bench times it.</summary>
    public Action<(string To, string From, string Body)>? OnAccepted { get; set; }

    /// <summary>
    /// When set, a call that arrives once this many messages are accepted is held, never answered, until the caller
    /// gives up (<see cref="Holding"/> completes when it arrives): the provider as a sender stopping mid-list sees it.
    /// The held message is not accepted.
    /// </summary>
    public int? HoldAfterAccepted;

    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds the call unanswered until the sender gives up or goes away; nothing is accepted.</summary>
    private static async Task<IResult> NoAnswerAsync(HttpContext http)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The sender went away.
        }
        return Results.Empty;
    }

    public static async Task<FakeTwilio> StartAsync()
    {
        var fake = new FakeTwilio();
        fake._server = await FakeServer.StartAsync(fake.Map);
        fake.BaseUrl = fake._server.Address;
        return fake;
    }

    private void Map(WebApplication web) => web.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", async (string sid, HttpContext http) =>
    {
        Interlocked.Increment(ref Calls);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        if (sid != AccountSid || http.Request.Headers.Authorization.ToString() != expected)
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        if (FailuresToServe.TryDequeue(out var status))
        {
            if (status == NoAnswer)
                return await NoAnswerAsync(http);
            if (status == 429)
                http.Response.Headers.RetryAfter = "1";
            return Results.Json(new { code = status == 429 ? 20429 : 20500, message = status == 429 ? "Too Many Requests" : "Service Unavailable", status }, statusCode: status);
        }
        if (HoldAfterAccepted is { } hold && Messages.Count >= hold)
        {
            Holding.TrySetResult();
            return await NoAnswerAsync(http);
        }
        var form = await http.Request.ReadFormAsync();
        string to = form["To"].ToString(), from = form["From"].ToString(), body = form["Body"].ToString();
        if (!E164().IsMatch(to))
            return Results.Json(new { code = 21211, message = $"The 'To' number {to} is not a valid phone number.", status = 400 }, statusCode: 400);
        Messages.Enqueue((to, from, body));
        OnAccepted?.Invoke((to, from, body));
        var messageSid = "SM" + Guid.NewGuid().ToString("N");
        return Results.Json(new
        {
            sid = messageSid,
            account_sid = AccountSid,
            to,
            from,
            body,
            status = "queued",
            num_segments = "1",
            date_created = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture),
            uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{messageSid}.json",
        }, statusCode: 201);
    });

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
