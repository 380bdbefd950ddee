using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.IntegrationTests.Support;

/// <summary>
/// Keeps what the host logged at Error and above, so that a test that gets a 500 fails with the server's own exception
/// rather than only its status code (see <see cref="ServerErrorHandler"/>).
/// </summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ServerErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                log._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
        }
    }
}

/// <summary>
/// Puts what the server logged into a 5xx answer's reason phrase (one line, as HTTP requires), so that
/// EnsureSuccessStatusCode and friends fail with the server's exception. The answer is otherwise unchanged: tests
/// that expect a 500 still see one.
/// </summary>
internal sealed class ServerErrorHandler(ServerErrorLog log) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode >= 500 && log.Entries.Count > 0)
        {
            var logged = string.Join(" | ", log.Entries.TakeLast(3)).ReplaceLineEndings(" | ");
            response.ReasonPhrase = $"{response.ReasonPhrase}; the server logged: {logged}";
        }
        return response;
    }
}
