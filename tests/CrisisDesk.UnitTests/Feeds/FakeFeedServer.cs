using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Feeds;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, port 0) that answers each path from a script: the n-th request to a path
/// gets the n-th step, the last step repeats. Records every request's headers for assertions.
/// </summary>
internal sealed class FakeFeedServer : IAsyncDisposable
{
    private FakeServer _server = default!;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>[]> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<(string, int), TaskCompletionSource> _waits = new();

    public ConcurrentQueue<(string Path, string? IfNoneMatch, string? IfModifiedSince)> Requests { get; } = new();

    public Uri BaseUrl => _server.Address;

    private FakeFeedServer()
    {
    }

    public static async Task<FakeFeedServer> StartAsync()
    {
        var server = new FakeFeedServer();
        server._server = await FakeServer.StartAsync(app => app.Run(server.HandleAsync));
        return server;
    }

    public Uri Url(string path) => new(BaseUrl, path);

    public void Script(string path, params Func<HttpContext, Task>[] steps) => _scripts[path] = steps;

    public int Count(string path) => _counts.GetValueOrDefault(path);

    /// <summary>Completes when the n-th request to the path arrives (not a timing: a fact the test waits for).</summary>
    public Task WhenRequested(string path, int n) => _waits.GetOrAdd((path, n), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        Requests.Enqueue((path, context.Request.Headers.IfNoneMatch.FirstOrDefault(), context.Request.Headers.IfModifiedSince.FirstOrDefault()));
        var n = _counts.AddOrUpdate(path, 1, (_, c) => c + 1);
        _waits.GetOrAdd((path, n), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (!_scripts.TryGetValue(path, out var steps))
        {
            context.Response.StatusCode = 404;
            return;
        }

        await steps[Math.Min(n, steps.Length) - 1](context);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Scripted responses, each speaking HTTP as a real feed server would, including its failures.</summary>
internal static class Respond
{
    /// <summary>200 with the document and its validators, or 304 when the client already has this ETag.</summary>
    public static Func<HttpContext, Task> Xml(string body, string? etag = null, string contentType = "application/rss+xml; charset=utf-8") =>
        Bytes(Encoding.UTF8.GetBytes(body), etag, contentType);

    public static Func<HttpContext, Task> Bytes(byte[] body, string? etag = null, string contentType = "application/xml") => async context =>
    {
        if (etag is not null && context.Request.Headers.IfNoneMatch == etag)
        {
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.ContentType = contentType;
        if (etag is not null)
        {
            context.Response.Headers.ETag = etag;
            context.Response.Headers.LastModified = "Sat, 21 Nov 2026 14:00:00 GMT";
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    };

    public static Func<HttpContext, Task> Status(int status, string? retryAfter = null) => context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return Task.CompletedTask;
    };

    /// <summary>Promises the whole body, sends half, then drops the connection.</summary>
    public static Func<HttpContext, Task> DropMidBody(string body) => async context =>
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = "application/rss+xml";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        await context.Response.Body.FlushAsync();
        context.Abort();
    };

    /// <summary>An endless chunked body with no Content-Length: only a cap applied while reading stops it.</summary>
    public static Func<HttpContext, Task> Endless() => async context =>
    {
        context.Response.ContentType = "application/rss+xml";
        var chunk = Encoding.UTF8.GetBytes("<item><title>" + new string('x', 8000) + "</title></item>");
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("<rss version=\"2.0\"><channel>"));
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // the client stopped reading: exactly what the cap should do
        }
    };
}

/// <summary>Records every state a connector reports, in order.</summary>
internal sealed class RecordingStatus : CrisisDesk.Core.Ingest.ISourceStatusReporter
{
    public ConcurrentQueue<(CrisisDesk.Core.Ingest.SourceState State, string? Detail, DateTimeOffset? Until)> Reports { get; } = new();

    private readonly ConcurrentQueue<(Func<string?, bool> Match, TaskCompletionSource Done)> _waits = new();

    public void Report(CrisisDesk.Core.Ingest.SourceState state, string? detail = null, DateTimeOffset? until = null)
    {
        Reports.Enqueue((state, detail, until));
        foreach (var wait in _waits.Where(w => w.Match(detail)))
        {
            wait.Done.TrySetResult();
        }
    }

    /// <summary>Completes once a report's detail satisfies the predicate.</summary>
    public Task WhenReported(Func<string?, bool> match)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waits.Enqueue((match, done));
        if (Reports.Any(r => match(r.Detail)))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    public IReadOnlyList<CrisisDesk.Core.Ingest.SourceState> States => Reports.Select(r => r.State).ToList();
}
