using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>What one GET of a feed or CAP document returned: the body only for 200, capped while it was read.</summary>
internal sealed record FeedResponse(HttpStatusCode Status, byte[] Body, string? ETag, string? LastModified, TimeSpan? RetryAfter, bool TooLarge)
{
    public bool IsOk => Status == HttpStatusCode.OK && !TooLarge;
    public bool NotModified => Status == HttpStatusCode.NotModified;
}

/// <summary>
/// HTTP GET with conditional headers (If-None-Match / If-Modified-Since) and a size cap enforced while the body
/// streams in: an oversized document is cut off at the cap, never buffered whole.
/// </summary>
internal static class FeedFetcher
{
    private const string Accept = "application/rss+xml, application/atom+xml, application/cap+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1";

    public static async Task<FeedResponse> GetAsync(HttpClient http, Uri url, string? etag, string? lastModified, long maxBytes, string userAgent, TimeProvider time, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", Accept);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (lastModified is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Modified-Since", lastModified);
        }

        using var response = await SendAsync(http, request, cancellationToken);
        var newEtag = response.Headers.ETag?.ToString() ?? HeaderValue(response.Headers, "ETag");
        var newLastModified = response.Content.Headers.LastModified?.ToString("R") ?? HeaderValue(response.Content.Headers, "Last-Modified");
        var retryAfter = RetryAfter(response.Headers.RetryAfter, time);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new FeedResponse(response.StatusCode, [], newEtag ?? etag, newLastModified ?? lastModified, retryAfter, false);
        }

        if (response.Content.Headers.ContentLength > maxBytes)
        {
            return new FeedResponse(response.StatusCode, [], newEtag, newLastModified, null, TooLarge: true);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var (bytes, tooLarge) = await ReadCappedAsync(body, maxBytes, cancellationToken);
        return new FeedResponse(response.StatusCode, bytes, newEtag, newLastModified, null, tooLarge);
    }

    /// <summary>
    /// Sends the request; a redirect to anything but http(s) (file://, gopher://…) is never followed and is a
    /// <see cref="FeedRedirectException"/> for this fetch, whichever way the handler met it.
    /// </summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (UnsupportedRedirectException ex)
        {
            // The outbound policy's redirect handler met it first (it follows redirects by hand).
            throw new FeedRedirectException(ex.Target.OriginalString, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && request.RequestUri is { } url && !IsHttp(url))
        {
            // The handler followed the redirect (it changes the request's address as it does) and then failed on the
            // scheme: "Invalid URI" for file://, a refused connection for gopher://.
            throw new FeedRedirectException(url.OriginalString, ex);
        }

        // A redirect the handler would not follow, or one it followed somewhere that is not http(s).
        var location = (int)response.StatusCode is >= 300 and < 400 ? response.Headers.Location : null;
        var landed = response.RequestMessage?.RequestUri;
        var elsewhere = location is { IsAbsoluteUri: true } && !IsHttp(location) ? location : landed is not null && !IsHttp(landed) ? landed : null;
        if (elsewhere is not null)
        {
            response.Dispose();
            throw new FeedRedirectException(elsewhere.OriginalString, null);
        }

        return response;
    }

    private static bool IsHttp(Uri url) => url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);

    /// <summary>Reads at most <paramref name="maxBytes"/>; beyond that it stops and returns the first bytes as an excerpt.</summary>
    public static async Task<(byte[] Bytes, bool TooLarge)> ReadCappedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var buffer = new MemoryStream();
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    buffer.Write(chunk, 0, (int)Math.Min(read, Math.Max(0, maxBytes - buffer.Length)));
                    return (Excerpt(buffer), true);
                }

                buffer.Write(chunk, 0, read);
            }

            return (buffer.ToArray(), false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static byte[] Excerpt(MemoryStream buffer) =>
        buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, CrisisDesk.Core.Ingest.Formats.Feeds.FeedRejection.MaxExcerptBytes)).ToArray();

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? value, TimeProvider time)
    {
        if (value?.Delta is { } delta)
        {
            return delta;
        }

        if (value?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string? HeaderValue(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>
/// The feed redirected to an address that is not http(s): reported for this fetch, never followed, and not retried
/// (the same answer would come back), so deliberately not an <see cref="HttpRequestException"/>.
/// </summary>
internal sealed class FeedRedirectException(string location, Exception? inner)
    : Exception($"the server redirected to a non-http(s) address ({location}); only http and https are followed", inner);
