using System.Collections.Concurrent;
using System.Text;
using CrisisDesk.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.IntegrationTests.Sources;

/// <summary>
/// A real HTTP server on 127.0.0.1 (port 0) speaking the wire formats the source tests need: a news RSS 2.0 feed,
/// a feed with a DTD (to be refused), and X's stream-rules endpoint answering <c>dry_run</c> validation as X does.
/// </summary>
public sealed class FakeSourceServer : IAsyncDisposable
{
    private FakeServer _server = default!;

    private FakeSourceServer()
    {
    }

    public Uri BaseUrl => _server.Address;

    /// <summary>Authorization headers the X endpoint received.</summary>
    public ConcurrentQueue<string> XAuthorizations { get; } = new();

    public static async Task<FakeSourceServer> StartAsync()
    {
        var server = new FakeSourceServer();
        server._server = await FakeServer.StartAsync(app => server.Map(app));
        return server;
    }

    private void Map(WebApplication app)
    {
        var server = this;
        app.MapGet("/news.rss", () => Results.Text(NewsRss, "application/rss+xml; charset=utf-8", Encoding.UTF8));
        app.MapGet("/dtd.rss", () => Results.Text(DtdRss, "application/rss+xml; charset=utf-8", Encoding.UTF8));
        app.MapPost("/2/tweets/search/stream/rules", async (HttpContext context) =>
        {
            server.XAuthorizations.Enqueue(context.Request.Headers.Authorization.ToString());
            using var body = await System.Text.Json.JsonDocument.ParseAsync(context.Request.Body);
            var rules = body.RootElement.GetProperty("add").EnumerateArray().Select(r => r.GetProperty("value").GetString()!).ToList();
            var invalid = rules.Where(r => r.StartsWith('-')).ToList();
            // X's answer to a dry run: the valid rules in data, each invalid one in errors with its reason.
            return Results.Json(new
            {
                data = rules.Except(invalid).Select((v, i) => new { value = v, id = $"16{i:D17}" }),
                meta = new { sent = DateTimeOffset.UtcNow.ToString("O"), summary = new { created = rules.Count - invalid.Count, not_created = 0, valid = rules.Count - invalid.Count, invalid = invalid.Count } },
                errors = invalid.Select(v => new
                {
                    value = v,
                    details = new[] { "Rules must contain a non-negation term (at position 1)" },
                    title = "UnprocessableEntity",
                    type = "https://api.twitter.com/2/problems/invalid-rules",
                }),
            }, statusCode: invalid.Count > 0 ? 400 : 200);
        });
    }

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    /// <summary>Three items, two of them about the flood.</summary>
    public static readonly string NewsRss = NewsFeedSample.Rss();

    private const string DtdRss = """
        <?xml version="1.0"?>
        <!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
        <rss version="2.0"><channel><title>&xxe;</title></channel></rss>
        """;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
