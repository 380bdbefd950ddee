using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace CrisisDesk.UnitTests.Connectors;

/// <summary>One scripted answer per connection: the next request gets the next script; when they run out, silence.</summary>
internal sealed class ConnectionScript
{
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _scripts = new();

    public int Connections;

    public ConnectionScript Then(Func<HttpContext, Task> script)
    {
        _scripts.Enqueue(script);
        return this;
    }

    public ConnectionScript ThenStatus(int status, params (string Name, string Value)[] headers) => Then(context =>
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }
        return Task.CompletedTask;
    });

    public Task RunNextAsync(HttpContext context)
    {
        Interlocked.Increment(ref Connections);
        return _scripts.TryDequeue(out var script) ? script(context) : FakeServer.SilenceAsync(context);
    }
}
