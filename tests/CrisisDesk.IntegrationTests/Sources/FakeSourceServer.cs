using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.IntegrationTests.Sources;

/// <summary>
/// A real HTTP server on 127.0.0.1 (port 0) speaking the wire formats the source tests need: a news RSS 2.0 feed,
/// a feed with a DTD (to be refused), and X's stream-rules endpoint answering <c>dry_run</c> validation as X does.
/// </summary>
public sealed class FakeSourceServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeSourceServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Authorization headers the X endpoint received.</summary>
    public ConcurrentQueue<string> XAuthorizations { get; } = new();

    public static async Task<FakeSourceServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeSourceServer(app);
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
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    /// <summary>Three items, two of them about the flood.</summary>
    public static readonly string NewsRss = $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0">
          <channel>
            <title>Wessex Evening News</title>
            <link>https://news.example.org/</link>
            <description>Local news</description>
            <item>
              <title>River Wey flood warning extended to Godalming</title>
              <link>https://news.example.org/2026/wey-flood-warning</link>
              <guid isPermaLink="false">wen-1003</guid>
              <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-5):R}</pubDate>
              <description>The Environment Agency extended its flood warning overnight.</description>
            </item>
            <item>
              <title>Council opens rest centre after flood</title>
              <link>https://news.example.org/2026/rest-centre</link>
              <guid isPermaLink="false">wen-1002</guid>
              <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-20):R}</pubDate>
              <description>Residents of Bramley can shelter at the village hall.</description>
            </item>
            <item>
              <title>Cricket club wins county cup</title>
              <link>https://news.example.org/2026/cricket</link>
              <guid isPermaLink="false">wen-1001</guid>
              <pubDate>{DateTimeOffset.UtcNow.AddMinutes(-60):R}</pubDate>
              <description>A famous win at the Oval.</description>
            </item>
          </channel>
        </rss>
        """;

    private const string DtdRss = """
        <?xml version="1.0"?>
        <!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
        <rss version="2.0"><channel><title>&xxe;</title></channel></rss>
        """;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
