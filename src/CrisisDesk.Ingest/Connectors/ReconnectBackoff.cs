using CrisisDesk.Core.Ingest;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>What to do before the next connection attempt: wait this long, showing this state until then.</summary>
public readonly record struct ReconnectDecision(TimeSpan Delay, SourceState State, DateTimeOffset Until, string Reason);

/// <summary>
/// X's reconnect guidance, used for every streaming source: after an established connection drops, reconnect at once;
/// network errors back off linearly, HTTP errors exponentially, 429 exponentially from one minute and never before the
/// server's reset time. Each kind counts its own consecutive failures; data arriving resets them all.
/// A little jitter (up to +10 %) spreads reconnects of many connectors; it never makes a wait shorter than a server hint.
/// </summary>
public sealed class ReconnectBackoff(StreamTimings timings, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _network;
    private int _http;
    private int _rateLimited;

    /// <summary>Data arrived: the connection works, so the next failure starts each back-off again.</summary>
    public void Reset() => _network = _http = _rateLimited = 0;

    /// <summary>An established connection dropped after delivering data: reconnect immediately.</summary>
    public ReconnectDecision AfterDrop(DateTimeOffset now, string reason)
    {
        Reset();
        return new ReconnectDecision(TimeSpan.Zero, SourceState.Reconnecting, now, reason);
    }

    public ReconnectDecision AfterFailure(StreamFailureKind kind, DateTimeOffset now, DateTimeOffset? serverRetryAt, string reason)
    {
        TimeSpan delay;
        var state = SourceState.Reconnecting;
        switch (kind)
        {
            case StreamFailureKind.Http:
                _http++;
                delay = Jitter(Exponential(timings.HttpBackoffBase, _http, timings.HttpBackoffMax));
                break;
            case StreamFailureKind.RateLimited:
                _rateLimited++;
                delay = Jitter(Exponential(timings.RateLimitBackoffBase, _rateLimited, timings.RateLimitBackoffMax));
                state = SourceState.RateLimited;
                break;
            default:
                _network++;
                delay = Jitter(Min(timings.NetworkBackoffStep * _network, timings.NetworkBackoffMax));
                break;
        }
        if (serverRetryAt is { } at && at - now > delay)
        {
            delay = at - now;
        }
        return new ReconnectDecision(delay, state, now + delay, reason);
    }

    private TimeSpan Jitter(TimeSpan delay) => delay + delay * (0.1 * _random());

    private static TimeSpan Exponential(TimeSpan @base, int attempt, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var ticks = @base.Ticks * factor;
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
