using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Connectors.X;

/// <summary>
/// The X API v2 filtered stream: synchronises the rules (dry run first), then reads
/// <c>GET /2/tweets/search/stream</c> line by line with the author, media and place expansions. A blank line is X's
/// keep-alive; 20 s of silence means a stalled connection. The cursor is the time the last post arrived (Unix ms),
/// used to ask for <c>backfill_minutes</c> after a gap when allowed; overlap is dropped by post id.
/// </summary>
public sealed class XFilteredStreamSource : StreamingConnector
{
    internal const string StreamQuery =
        "2/tweets/search/stream?expansions=author_id,attachments.media_keys,geo.place_id" +
        "&tweet.fields=created_at,lang,attachments,geo,entities,edit_history_tweet_ids,note_tweet" +
        "&user.fields=username,name,verified&media.fields=type,url,preview_image_url&place.fields=full_name,country_code";

    private readonly HttpClient _http;
    private readonly XFilteredStreamOptions _options;
    private bool _rulesSynced;
    private DateTimeOffset? _lastItemAt;

    /// <param name="http">A client with an infinite <see cref="HttpClient.Timeout"/>: the stream is open for hours; the connector keeps its own timeouts.</param>
    public XFilteredStreamSource(HttpClient http, XFilteredStreamOptions options, ISourceStatusReporter status, TimeProvider? time = null)
        : base(options.Timings, status, time)
    {
        _http = http;
        _options = options;
    }

    /// <summary>The last rule synchronisation's result (rules refused by X and why), for the admin UI.</summary>
    public XRuleSyncResult? LastRuleSync { get; private set; }

    protected override void Resume(string? cursor) =>
        _lastItemAt = long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    protected override async Task RunSessionAsync(Session session, CancellationToken cancellationToken)
    {
        if (!_rulesSynced)
        {
            LastRuleSync = await new XStreamRules(_http, _options).SyncAsync(cancellationToken);
            if (LastRuleSync.Rejected.Count > 0)
            {
                throw new StreamFailureException(StreamFailureKind.Fatal, "X refused stream rules: " +
                    string.Join(" | ", LastRuleSync.Rejected.Select(r => $"'{r.Value}': {r.Reason}")));
            }
            _rulesSynced = true;
        }

        using var response = await ConnectAsync(async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_options.BaseAddress, StreamQuery + BackfillParameter()));
            XStreamRules.Authorize(request, _options);
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw StreamFailureException.FromResponse(response, Now, await HttpErrors.ReadReasonAsync(response, cancellationToken));
        }
        session.Connected();

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var lines = new LineReader(body, Timings.MaxFrameBytes, Timings.KeepAliveTimeout);
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.IsEmpty)
            {
                session.Alive(keepAlive: true);
                continue;
            }
            session.Alive(keepAlive: false);
            var now = Now;
            if (line.Oversized)
            {
                session.Oversized();
                await session.EmitAsync(Item(line.Bytes, now), identity: null, cancellationToken);
                continue;
            }
            switch (Probe(line.Bytes, out var id, out var disconnect))
            {
                case FrameKind.Post:
                    _lastItemAt = now;
                    await session.EmitAsync(Item(line.Bytes, now), "x:" + id, cancellationToken);
                    break;
                case FrameKind.Disconnect:
                    // X says why it is about to close the stream (operational-disconnect, …): reconnect at once.
                    throw new IOException("X closed the stream: " + disconnect);
                default:
                    await session.EmitAsync(Item(line.Bytes, now), identity: null, cancellationToken);
                    break;
            }
        }
    }

    private string BackfillParameter()
    {
        if (!_options.BackfillOnReconnect || _lastItemAt is not { } last)
        {
            return string.Empty;
        }
        var minutes = (int)Math.Ceiling((Now - last).TotalMinutes);
        return "&backfill_minutes=" + Math.Clamp(minutes, 1, 5).ToString(CultureInfo.InvariantCulture);
    }

    private RawItem Item(byte[] bytes, DateTimeOffset receivedAt) =>
        new(StreamFormats.XFilteredStream, bytes, (_lastItemAt ?? receivedAt).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

    private enum FrameKind { Post, Disconnect, Unreadable }

    /// <summary>Finds the post id (for dedupe) or a stream error message; anything else is left to the normaliser to refuse.</summary>
    private static FrameKind Probe(byte[] frame, out string? id, out string? disconnect)
    {
        id = disconnect = null;
        using var doc = FrameProbe.TryParse(frame);
        if (doc?.RootElement is not { ValueKind: JsonValueKind.Object } root)
        {
            return FrameKind.Unreadable;
        }
        if (root.Object("data")?.String("id") is { } postId)
        {
            id = postId;
            return FrameKind.Post;
        }
        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var first = errors[0];
            disconnect = (first.String("title") ?? "error") + (first.String("detail") is { } detail ? " – " + detail : "");
            return FrameKind.Disconnect;
        }
        return FrameKind.Unreadable;
    }
}
