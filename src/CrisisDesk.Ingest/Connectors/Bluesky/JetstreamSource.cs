using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Connectors.Bluesky;

/// <summary>
/// Bluesky Jetstream over a WebSocket, subscribed to <c>app.bsky.feed.post</c> commits. Creates that match the keywords
/// are handed over; updates when they match or their post was handed over; deletes when their author is one whose
/// posts the incident holds (see below). The cursor is the event time in microseconds (<c>time_us</c>); a reconnect
/// resumes from the latest one seen minus a small rewind, and the re-delivered events are dropped by identity.
/// </summary>
/// <remarks>
/// A delete event carries only the post's at:// URI (DID and record key), no text, so the keywords cannot pick it out,
/// and Jetstream sends every post deletion of the whole network (tens a second): forwarding them all would fill the
/// pipeline and the "unmatched deletions" counter with strangers' posts. Remembering every URI we stored would cost
/// memory in proportion to the incident. So the connector forwards a delete when its author (DID) is one whose posts
/// the incident holds: the authors stored before this start (<see cref="JetstreamOptions.StoredAuthors"/>, read once
/// from the database when the connector starts, so a restart loses nothing) and those it hands over while it runs.
/// The writer then matches the URI against the stored posts; a delete of another post by such an author is only
/// counted there. Updates of posts handed over before a restart are recognised only while they are in the in-memory
/// window or when they match the keywords (an update carries its text, so a matching one is kept anyway).
/// </remarks>
public sealed class JetstreamSource : StreamingConnector
{
    private readonly JetstreamOptions _options;
    private readonly KeywordFilter _keywords;
    private readonly HashSet<string> _authors = new(StringComparer.Ordinal);
    private bool _authorsLoaded;
    private long? _cursorMicros;

    public JetstreamSource(JetstreamOptions options, ISourceStatusReporter status, TimeProvider? time = null)
        : base(options.Timings, status, time)
    {
        _options = options;
        _keywords = new KeywordFilter(options.Keywords);
    }

    protected override void Resume(string? cursor) =>
        _cursorMicros = long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) ? micros : null;

    internal Uri SubscribeUri()
    {
        var query = "wantedCollections=" + BlueskyJetstreamNormaliser.PostCollection;
        if (_cursorMicros is { } cursor)
        {
            var rewound = Math.Max(0, cursor - (long)(_options.Rewind.Ticks / 10));
            query += "&cursor=" + rewound.ToString(CultureInfo.InvariantCulture);
        }
        return new UriBuilder(_options.Endpoint) { Query = query }.Uri;
    }

    protected override async Task RunSessionAsync(Session session, CancellationToken cancellationToken)
    {
        await LoadStoredAuthorsAsync(cancellationToken);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await ConnectAsync(async token =>
            {
                if (_options.WebSocketInvoker is { } invoker)
                    await socket.ConnectAsync(SubscribeUri(), invoker, token);
                else
                    await socket.ConnectAsync(SubscribeUri(), token);
                return true;
            }, cancellationToken);
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode is not 0 and not System.Net.HttpStatusCode.SwitchingProtocols)
        {
            throw Refused(socket, ex);
        }
        session.Connected();

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                message.SetLength(0);
                var oversized = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    idle.CancelAfter(Timings.KeepAliveTimeout);
                    try
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(), idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new StreamIdleException(Timings.KeepAliveTimeout);
                    }
                    catch (WebSocketException ex) when (message.Length > 0)
                    {
                        throw new IOException($"connection lost in the middle of a message ({message.Length} bytes discarded): {ex.Message}", ex);
                    }
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    var room = Timings.MaxFrameBytes + 1 - (int)message.Length;
                    oversized |= result.Count > room;
                    message.Write(buffer, 0, Math.Min(result.Count, Math.Max(room, 0)));
                }
                while (!result.EndOfMessage);

                session.Alive(keepAlive: false);
                await HandleAsync(session, message.ToArray(), oversized, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the authors of the incident's stored posts once, before the first connection; a failure is retried like a network one.</summary>
    private async Task LoadStoredAuthorsAsync(CancellationToken cancellationToken)
    {
        if (_authorsLoaded || _options.StoredAuthors is not { } load)
        {
            return;
        }
        IReadOnlyCollection<string> stored;
        try
        {
            stored = await load(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new StreamFailureException(StreamFailureKind.Network, $"could not read the authors of the posts already stored: {ex.Message}", inner: ex);
        }
        _authors.UnionWith(stored);
        _authorsLoaded = true;
    }

    private async Task HandleAsync(Session session, byte[] frame, bool oversized, CancellationToken cancellationToken)
    {
        if (oversized)
        {
            session.Oversized();
            await session.EmitAsync(Item(frame), identity: null, cancellationToken);
            return;
        }
        using var doc = FrameProbe.TryParse(frame);
        if (doc is null || doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            await session.EmitAsync(Item(frame), identity: null, cancellationToken);
            return;
        }
        var root = doc.RootElement;
        if (root.TryGetProperty("time_us", out var time) && time.TryGetInt64(out var micros) && (_cursorMicros is null || micros > _cursorMicros))
        {
            _cursorMicros = micros;
        }
        if (root.String("kind") != "commit" || root.Object("commit") is not { } commit
            || commit.String("collection") != BlueskyJetstreamNormaliser.PostCollection)
        {
            return;
        }
        var did = root.String("did");
        var uri = $"at://{did}/{BlueskyJetstreamNormaliser.PostCollection}/{commit.String("rkey")}";
        var known = "post:" + uri;
        var text = commit.Object("record")?.String("text");
        switch (commit.String("operation"))
        {
            case "create" when _keywords.Matches(text):
            case "update" when _keywords.Matches(text) || session.Seen(known):
                session.Remember(known);
                if (did is not null)
                {
                    _authors.Add(did);
                }
                await session.EmitAsync(Item(frame), $"{commit.String("operation")}:{uri}:{commit.String("cid")}", cancellationToken);
                break;
            case "delete" when session.Seen(known) || (did is not null && _authors.Contains(did)):
                await session.EmitAsync(Item(frame), "delete:" + uri, cancellationToken);
                break;
            case "create" or "update" or "delete":
                session.Filtered();
                break;
            default:
                // An operation this connector does not know: the normaliser quarantines it with the reason.
                await session.EmitAsync(Item(frame), identity: null, cancellationToken);
                break;
        }
    }

    private RawItem Item(byte[] frame) =>
        new(StreamFormats.BlueskyJetstream, frame, _cursorMicros?.ToString(CultureInfo.InvariantCulture) ?? string.Empty);

    private StreamFailureException Refused(ClientWebSocket socket, WebSocketException ex)
    {
        var status = (int)socket.HttpStatusCode;
        using var response = new HttpResponseMessage(socket.HttpStatusCode);
        foreach (var header in socket.HttpResponseHeaders ?? new Dictionary<string, IEnumerable<string>>())
        {
            response.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        var failure = StreamFailureException.FromResponse(response, Now, "WebSocket upgrade refused");
        return new StreamFailureException(failure.Kind, failure.Message, status, failure.RetryAt, ex);
    }
}
