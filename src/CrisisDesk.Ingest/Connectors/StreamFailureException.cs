namespace CrisisDesk.Ingest.Connectors;

/// <summary>Why a streaming session ended, which decides how long to wait before the next attempt.</summary>
public enum StreamFailureKind
{
    /// <summary>Connection refused, reset or dropped, or silent past the keep-alive: back off linearly.</summary>
    Network,

    /// <summary>The server answered with an HTTP error worth retrying (5xx, 408, …): back off exponentially.</summary>
    Http,

    /// <summary>HTTP 429: wait from one minute, or until the server's reset time.</summary>
    RateLimited,

    /// <summary>Retrying cannot help (credentials refused, rules rejected, bad configuration): the source fails.</summary>
    Fatal,
}

/// <summary>A classified end of a streaming session; its message is what operators see (never contains credentials).</summary>
public sealed class StreamFailureException : Exception
{
    public StreamFailureException(StreamFailureKind kind, string message, int? statusCode = null, DateTimeOffset? retryAt = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAt = retryAt;
    }

    public StreamFailureKind Kind { get; }
    public int? StatusCode { get; }

    /// <summary>The server's hint of when to try again (x-rate-limit-reset, Retry-After), if it gave one.</summary>
    public DateTimeOffset? RetryAt { get; }

    /// <summary>Classifies a non-success HTTP response, reading the server's retry hints.</summary>
    public static StreamFailureException FromResponse(HttpResponseMessage response, DateTimeOffset now, string? serverReason = null)
    {
        var status = (int)response.StatusCode;
        var reason = $"HTTP {status} {response.ReasonPhrase}".TrimEnd() + (string.IsNullOrWhiteSpace(serverReason) ? "" : $": {serverReason}");
        var retryAt = RetryHint(response, now);
        return status switch
        {
            429 => new StreamFailureException(StreamFailureKind.RateLimited, reason, status, retryAt),
            401 or 403 or 404 or 400 or 410 => new StreamFailureException(StreamFailureKind.Fatal, reason, status),
            _ => new StreamFailureException(StreamFailureKind.Http, reason, status, retryAt),
        };
    }

    private static DateTimeOffset? RetryHint(HttpResponseMessage response, DateTimeOffset now)
    {
        // X: x-rate-limit-reset (Unix seconds). Mastodon: X-RateLimit-Reset (ISO 8601). Everyone: Retry-After.
        foreach (var name in new[] { "x-rate-limit-reset", "X-RateLimit-Reset" })
        {
            if (response.Headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { } text)
            {
                if (long.TryParse(text, out var unixSeconds))
                {
                    return DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
                }
                if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                {
                    return at;
                }
            }
        }
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            return retryAfter.Date ?? (retryAfter.Delta is { } delta ? now + delta : null);
        }
        return null;
    }
}
