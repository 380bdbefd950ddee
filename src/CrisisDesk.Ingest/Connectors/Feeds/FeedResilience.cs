using System.Net;
using CrisisDesk.Core.Ingest;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>
/// The resilience around every feed request: a per-attempt timeout (covering the body as it streams), a circuit
/// breaker on server and network failures, and retries with jittered exponential backoff that honour Retry-After.
/// Each retry is reported so the war room sees "reconnecting in N s" or "rate-limited until T".
/// </summary>
internal static class FeedResilience
{
    public static ResiliencePipeline<FeedResponse> Build(FeedSourceOptions options, ISourceStatusReporter status, TimeProvider time)
    {
        var transient = new PredicateBuilder<FeedResponse>()
            .Handle<HttpRequestException>()
            .Handle<IOException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => IsTransient(r.Status));
        var failure = new PredicateBuilder<FeedResponse>()
            .Handle<HttpRequestException>()
            .Handle<IOException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => (int)r.Status >= 500);

        return new ResiliencePipelineBuilder<FeedResponse> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<FeedResponse>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = Math.Max(0, options.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    args.Outcome.Result?.RetryAfter is { } hint ? Min(hint, options.MaxRetryAfter) : null),
                OnRetry = args =>
                {
                    var until = time.GetUtcNow() + args.RetryDelay;
                    var seconds = Math.Ceiling(args.RetryDelay.TotalSeconds);
                    if (args.Outcome.Result?.Status == HttpStatusCode.TooManyRequests)
                    {
                        status.Report(SourceState.RateLimited, $"HTTP 429 from {options.Url.Host}; retrying in {seconds} s", until);
                    }
                    else
                    {
                        status.Report(SourceState.Reconnecting, $"{Describe(args.Outcome)}; retry {args.AttemptNumber + 1} of {options.MaxRetries} in {seconds} s", until);
                    }

                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<FeedResponse>
            {
                ShouldHandle = failure,
                FailureRatio = 0.5,
                MinimumThroughput = Math.Max(2, options.CircuitMinimumThroughput),
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
                OnOpened = args =>
                {
                    status.Report(SourceState.Failed, $"circuit open after repeated failures ({Describe(args.Outcome)}); paused for {args.BreakDuration.TotalSeconds} s", time.GetUtcNow() + args.BreakDuration);
                    return default;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    public static string Describe(Outcome<FeedResponse> outcome) => outcome.Exception switch
    {
        null => $"HTTP {(int)outcome.Result!.Status} {outcome.Result.Status}",
        TimeoutRejectedException => "request timed out",
        BrokenCircuitException => "circuit open",
        HttpRequestException http => "network error: " + http.Message,
        IOException io => "connection dropped: " + io.Message,
        var other => other.GetType().Name + ": " + other.Message,
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
