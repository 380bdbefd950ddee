using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>
/// Polls one news feed or one agency's CAP index, delivering each new entry once per cursor: news entries (matched
/// to the incident's keywords) as <c>news.item</c>, linked CAP documents as <c>cap.alert</c>, refused documents as
/// <c>feed.rejected</c> (quarantined by the pipeline). Never stops on bad data or a bad network: it reports its state
/// and polls again. The feed's validators enter the cursor only with the last item of a fully delivered document, so a
/// restart mid-document fetches it again instead of being told "304 Not Modified" and losing the rest.
/// </summary>
public sealed class FeedPollingSource : IIngestSource
{
    private readonly FeedSourceOptions _options;
    private readonly HttpClient _http;
    private readonly ISourceStatusReporter _status;
    private readonly TimeProvider _time;
    private readonly KeywordMatcher _keywords;
    private readonly ResiliencePipeline<FeedResponse> _pipeline;

    public FeedPollingSource(FeedSourceOptions options, HttpClient http, ISourceStatusReporter status, TimeProvider? time = null)
    {
        if (!FeedItems.IsHttp(options.Url))
        {
            throw new ArgumentException($"feed address must be http or https: {options.Url}", nameof(options));
        }

        _options = options;
        _http = http;
        _status = status;
        _time = time ?? TimeProvider.System;
        _keywords = new KeywordMatcher(options.Keywords);
        _pipeline = FeedResilience.Build(options, status, _time);
    }

    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var state = FeedCursor.Parse(cursor);
        _status.Report(SourceState.Starting, _options.Url.ToString());
        while (true)
        {
            var poll = await PollAsync(state, cancellationToken);
            foreach (var item in poll.Items)
            {
                yield return item;
            }

            state = poll.State;
            await Task.Delay(poll.NextPollIn, _time, cancellationToken);
        }
    }

    private sealed record Poll(IReadOnlyList<RawItem> Items, FeedCursor State, TimeSpan NextPollIn);

    private Poll Nothing(FeedCursor state, TimeSpan? wait = null) => new([], state, wait ?? _options.PollInterval);

    private async Task<Poll> PollAsync(FeedCursor state, CancellationToken cancellationToken)
    {
        var url = _options.Url;
        FeedResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                ct => new ValueTask<FeedResponse>(FeedFetcher.GetAsync(_http, url, state.ETag, state.LastModified, _options.MaxDocumentBytes, _options.UserAgent, _time, ct)),
                cancellationToken);
        }
        catch (FeedRedirectException ex)
        {
            // Still running: the next poll asks again, and the war room shows why nothing arrives.
            _status.Report(SourceState.Degraded, ex.Message);
            return Nothing(state);
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            return Failed(state, ex);
        }

        if (response.NotModified)
        {
            _status.Report(SourceState.Connected, "not modified since the last poll");
            return Nothing(state);
        }

        if (response.Status != HttpStatusCode.OK)
        {
            return Unavailable(state, response, url);
        }

        if (response.TooLarge)
        {
            return Reject(state, url, $"refused: the document is larger than {_options.MaxDocumentBytes} bytes", response.Body);
        }

        FeedDocument feed;
        try
        {
            feed = FeedParser.Parse(response.Body, _options.MaxDocumentBytes);
        }
        catch (FeedFormatException ex) when (_options.Kind == FeedSourceKind.CapFeed && ex.RootElement == "alert")
        {
            // Several agencies publish one CAP document at a fixed address instead of an index: a one-item feed.
            var single = FeedItems.SingleCapAlert(response.Body);
            if (single.Problem is { } problem)
            {
                return Reject(state, url, problem, response.Body);
            }

            _status.Report(SourceState.Connected, $"{url.Host}: a single CAP alert");
            var read = state with { ETag = response.ETag, LastModified = response.LastModified, RejectedKey = null };
            List<(string SeenId, string Format, byte[]? Payload)> drafts = state.HasSeen(single.SeenId) ? [] : [(single.SeenId, FeedFormats.CapAlert, response.Body)];
            return Deliver(state, read, drafts, _options.PollInterval, _options.MaxSeenIds);
        }
        catch (FeedFormatException ex)
        {
            return Reject(state, url, ex.Message, response.Body);
        }

        _status.Report(SourceState.Connected, $"{feed.Title ?? url.Host}: {feed.Entries.Count} entries");
        var fullyRead = state with { ETag = response.ETag, LastModified = response.LastModified, RejectedKey = null };
        return _options.Kind == FeedSourceKind.CapFeed
            ? await CapItemsAsync(state, fullyRead, feed, cancellationToken)
            : NewsItems(state, fullyRead, feed);
    }

    private Poll NewsItems(FeedCursor before, FeedCursor fullyRead, FeedDocument feed)
    {
        var fetchedAt = _time.GetUtcNow();
        var fresh = FeedItems.OldestFirst(feed).Where(e => !before.HasSeen(FeedItems.SeenId(e))).ToList();
        var drafts = new List<(string SeenId, string Format, byte[]? Payload)>(fresh.Count);
        foreach (var entry in fresh)
        {
            var matched = _keywords.Keywords.Count == 0 ? [] : _keywords.Matches(FeedItems.KeywordText(entry));
            var keep = _keywords.Keywords.Count == 0 || matched.Count > 0;
            drafts.Add((FeedItems.SeenId(entry), FeedFormats.NewsItem, keep ? FeedItems.NewsPayload(feed, entry, _options.Url.ToString(), fetchedAt, matched) : null));
        }

        return Deliver(before, fullyRead, drafts, _options.PollInterval, SeenBound(feed));
    }

    private async Task<Poll> CapItemsAsync(FeedCursor before, FeedCursor fullyRead, FeedDocument index, CancellationToken cancellationToken)
    {
        var fresh = FeedItems.OldestFirst(index).Where(e => !before.HasSeen(FeedItems.SeenId(e))).ToList();
        var morePending = fresh.Count > _options.MaxCapDocumentsPerPoll;
        var failed = false;
        var drafts = new List<(string SeenId, string Format, byte[]? Payload)>();
        foreach (var entry in fresh.Take(_options.MaxCapDocumentsPerPoll))
        {
            var seenId = FeedItems.SeenId(entry);
            var link = FeedItems.CapLinkOf(entry, _options.Url);
            if (link is null || !FeedItems.IsHttp(link))
            {
                var reason = link is null ? $"CAP index entry '{seenId}' links to no CAP document" : $"CAP index entry links to a non-http address: {link}";
                drafts.Add((seenId, FeedFormats.Rejected, FeedRejection.Of(_options.Url.ToString(), reason, []).ToUtf8()));
                continue;
            }

            FeedResponse response;
            try
            {
                response = await _pipeline.ExecuteAsync(
                    ct => new ValueTask<FeedResponse>(FeedFetcher.GetAsync(_http, link, null, null, _options.MaxCapDocumentBytes, _options.UserAgent, _time, ct)),
                    cancellationToken);
            }
            catch (FeedRedirectException ex)
            {
                drafts.Add((seenId, FeedFormats.Rejected, FeedRejection.Of(link.ToString(), "CAP document unavailable: " + ex.Message, []).ToUtf8()));
                continue;
            }
            catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
            {
                // Not marked seen: the index is fetched again next poll and this alert retried.
                Failed(before, ex);
                failed = true;
                break;
            }

            if (response.IsOk)
            {
                drafts.Add((seenId, FeedFormats.CapAlert, response.Body));
            }
            else if (response.TooLarge)
            {
                drafts.Add((seenId, FeedFormats.Rejected, FeedRejection.Of(link.ToString(), $"refused: CAP document larger than {_options.MaxCapDocumentBytes} bytes", response.Body).ToUtf8()));
            }
            else if (FeedResilience.IsTransient(response.Status))
            {
                Unavailable(before, response, link);
                failed = true;
                break;
            }
            else
            {
                drafts.Add((seenId, FeedFormats.Rejected, FeedRejection.Of(link.ToString(), $"CAP document unavailable: HTTP {(int)response.Status} {response.Status}", []).ToUtf8()));
            }
        }

        // More alerts than one poll takes: come back at once for the rest rather than after a whole interval.
        var complete = !morePending && !failed;
        return Deliver(before, complete ? fullyRead : before, drafts, morePending && !failed ? TimeSpan.Zero : _options.PollInterval, SeenBound(index));
    }

    /// <summary>
    /// Items with the cursor just after each: ids seen so far, and (for the last) the end state. Entries filtered out
    /// by keywords are remembered too, but only travel with a later delivered item or the next poll.
    /// </summary>
    private Poll Deliver(FeedCursor before, FeedCursor end, List<(string SeenId, string Format, byte[]? Payload)> drafts, TimeSpan nextPollIn, int seenBound)
    {
        var items = new List<RawItem>();
        var lastDelivered = drafts.FindLastIndex(d => d.Payload is not null);
        var state = before;
        for (var i = 0; i < drafts.Count; i++)
        {
            state = state.WithSeen([drafts[i].SeenId], seenBound);
            if (drafts[i].Payload is { } payload)
            {
                var cursor = i == lastDelivered ? (end with { Seen = state.WithSeen(drafts.Skip(i + 1).Select(d => d.SeenId), seenBound).Seen }) : state;
                items.Add(new RawItem(drafts[i].Format, payload, cursor.Serialize()));
            }
        }

        var final = end with { Seen = state.Seen };
        return new Poll(items, final, nextPollIn);
    }

    /// <summary>Never remember fewer ids than the feed holds, or its oldest entries would come back every poll.</summary>
    private int SeenBound(FeedDocument feed) => Math.Max(_options.MaxSeenIds, 2 * feed.Entries.Count);

    private Poll Reject(FeedCursor state, Uri url, string reason, byte[] body)
    {
        _status.Report(SourceState.Failed, reason);
        var key = FeedCursor.Key(reason + Convert.ToBase64String(SHA256.HashData(body.AsSpan(0, Math.Min(body.Length, FeedRejection.MaxExcerptBytes)))));
        if (state.RejectedKey == key)
        {
            return Nothing(state); // the same bad document again: quarantined once already
        }

        var next = state with { RejectedKey = key };
        return new Poll([new RawItem(FeedFormats.Rejected, FeedRejection.Of(url.ToString(), reason, body).ToUtf8(), next.Serialize())], next, _options.PollInterval);
    }

    private Poll Unavailable(FeedCursor state, FeedResponse response, Uri url)
    {
        if (response.Status == HttpStatusCode.TooManyRequests)
        {
            var wait = response.RetryAfter is { } hint ? (hint < _options.MaxRetryAfter ? hint : _options.MaxRetryAfter) : _options.PollInterval;
            wait = wait > _options.PollInterval ? wait : _options.PollInterval;
            _status.Report(SourceState.RateLimited, $"HTTP 429 from {url.Host} after {_options.MaxRetries} retries", _time.GetUtcNow() + wait);
            return Nothing(state, wait);
        }

        var retried = FeedResilience.IsTransient(response.Status) ? $" after {_options.MaxRetries} retries" : "";
        _status.Report(SourceState.Failed, $"HTTP {(int)response.Status} {response.Status} from {url}{retried}");
        return Nothing(state);
    }

    private Poll Failed(FeedCursor state, Exception ex)
    {
        if (ex is BrokenCircuitException broken)
        {
            var wait = broken.RetryAfter ?? _options.CircuitBreakDuration;
            _status.Report(SourceState.Failed, $"circuit open after repeated failures; next attempt in {Math.Ceiling(wait.TotalSeconds)} s", _time.GetUtcNow() + wait);
            return Nothing(state, wait > _options.PollInterval ? wait : _options.PollInterval);
        }

        _status.Report(SourceState.Failed, FeedResilience.Describe(Outcome.FromException<FeedResponse>(ex)) + $" (after {_options.MaxRetries} retries)");
        return Nothing(state);
    }

    private static bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or TimeoutRejectedException or BrokenCircuitException or OperationCanceledException;
}
