using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Connectors.Mastodon;

/// <summary>
/// Mastodon's streaming API (server-sent events) for the public or a hashtag stream of one instance. Every
/// <c>update</c>, <c>status.update</c> (edit) and <c>delete</c> event is handed over as the SSE block it arrived as;
/// <c>:</c> comment lines are heartbeats. The cursor is the highest status id seen: after every (re)connection the
/// REST timeline is read from it, page by page, so nothing published while disconnected is missed; overlap is dropped.
/// </summary>
public sealed class MastodonStreamingSource : StreamingConnector
{
    private const int PageSize = 40;
    private readonly HttpClient _http;
    private readonly MastodonStreamingOptions _options;
    private string? _highestId;

    /// <param name="http">A client with an infinite <see cref="HttpClient.Timeout"/>: the connector keeps its own timeouts.</param>
    public MastodonStreamingSource(HttpClient http, MastodonStreamingOptions options, ISourceStatusReporter status, TimeProvider? time = null)
        : base(options.Timings, status, time)
    {
        if (options.Stream == MastodonStream.Hashtag && string.IsNullOrWhiteSpace(options.Hashtag))
        {
            throw new ArgumentException("A hashtag stream needs a hashtag.", nameof(options));
        }
        _http = http;
        _options = options;
    }

    private string Tag => Uri.EscapeDataString(_options.Hashtag!.TrimStart('#'));

    protected override void Resume(string? cursor) => _highestId = string.IsNullOrEmpty(cursor) ? null : cursor;

    protected override async Task RunSessionAsync(Session session, CancellationToken cancellationToken)
    {
        var streamPath = _options.Stream == MastodonStream.Hashtag ? $"api/v1/streaming/hashtag?tag={Tag}" : "api/v1/streaming/public";
        using var response = await ConnectAsync(async token =>
        {
            using var request = Authorised(streamPath);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        }, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        session.Connected();

        // The stream is open (new events queue up in it) before the timeline is read: nothing falls between the two.
        if (_highestId is not null)
        {
            await CatchUpAsync(session, cancellationToken);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var lines = new LineReader(body, Timings.MaxFrameBytes, Timings.KeepAliveTimeout);
        var block = new EventBlock(Timings.MaxFrameBytes);
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.IsEmpty && line.Bytes[0] == (byte)':')
            {
                session.Alive(keepAlive: true);
                continue;
            }
            if (!line.IsEmpty)
            {
                block.Add(line);
                continue;
            }
            if (block.IsEmpty)
            {
                continue;
            }
            session.Alive(keepAlive: false);
            await EmitEventAsync(session, block, cancellationToken);
            block.Clear();
        }
    }

    private async Task EmitEventAsync(Session session, EventBlock block, CancellationToken cancellationToken)
    {
        var payload = block.ToArray();
        if (block.Oversized)
        {
            session.Oversized();
            await session.EmitAsync(Item(payload), identity: null, cancellationToken);
            return;
        }
        switch (block.Event)
        {
            case "update":
            case "status.update":
                using (var doc = FrameProbe.TryParse(block.Data))
                {
                    if (doc?.RootElement.String("id") is not { } id)
                    {
                        await session.EmitAsync(Item(payload), identity: null, cancellationToken);
                        return;
                    }
                    if (block.Event == "update")
                    {
                        Advance(id);
                    }
                    await session.EmitAsync(Item(payload), Identity(id, doc.RootElement), cancellationToken);
                }
                break;
            case "delete":
                var deleted = Encoding.UTF8.GetString(block.Data.Span).Trim().Trim('"');
                await session.EmitAsync(Item(payload), "delete:" + deleted, cancellationToken);
                break;
            default:
                // Other events (notification, filters_changed, …) are not for a public stream's war room.
                break;
        }
    }

    /// <summary>Reads the REST timeline forward from the cursor (<c>min_id</c>: the page just after it), oldest first.</summary>
    private async Task CatchUpAsync(Session session, CancellationToken cancellationToken)
    {
        var timeline = _options.Stream == MastodonStream.Hashtag ? $"api/v1/timelines/tag/{Tag}" : "api/v1/timelines/public";
        for (var page = 0; page < _options.MaxCatchUpPages; page++)
        {
            // min_id rather than since_id: since_id gives the newest page and would skip a gap longer than one page.
            using var request = Authorised($"{timeline}?min_id={Uri.EscapeDataString(_highestId!)}&limit={PageSize}");
            using var response = await _http.SendAsync(request, cancellationToken);
            await ThrowIfFailedAsync(response, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            using var doc = FrameProbe.TryParse(bytes);
            if (doc?.RootElement is not { ValueKind: JsonValueKind.Array } statuses)
            {
                throw new StreamFailureException(StreamFailureKind.Http, "timeline catch-up: the instance answered with something other than a list of statuses");
            }
            var ordered = statuses.EnumerateArray()
                .Where(s => s.String("id") is not null)
                .OrderBy(s => s.String("id"), StatusIdComparer.Instance)
                .ToList();
            foreach (var status in ordered)
            {
                var id = status.String("id")!;
                Advance(id);
                var payload = Encoding.UTF8.GetBytes("event: update\ndata: " + status.GetRawText());
                await session.EmitAsync(Item(payload), Identity(id, status), cancellationToken);
            }
            if (ordered.Count < PageSize)
            {
                return;
            }
        }
    }

    private static string Identity(string id, JsonElement status) => $"status:{id}:{status.String("edited_at")}";

    private void Advance(string id)
    {
        if (_highestId is null || StatusIdComparer.Instance.Compare(id, _highestId) > 0)
        {
            _highestId = id;
        }
    }

    private RawItem Item(byte[] payload) => new(StreamFormats.MastodonStatus, payload, _highestId ?? string.Empty);

    private HttpRequestMessage Authorised(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_options.Instance, path));
        // Checked against where the credential may go before every request that carries it.
        if (_options.Credential is { } binding)
            binding.Authorize(request, "mastodon", _options.AccessToken);
        else
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AccessToken);
        return request;
    }

    private async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw StreamFailureException.FromResponse(response, Now, await HttpErrors.ReadReasonAsync(response, cancellationToken));
        }
    }

    /// <summary>Status ids are decimal numbers as strings: a longer one is larger.</summary>
    private sealed class StatusIdComparer : IComparer<string?>
    {
        public static readonly StatusIdComparer Instance = new();

        public int Compare(string? x, string? y) =>
            x is null || y is null ? string.CompareOrdinal(x, y)
            : x.Length != y.Length ? x.Length.CompareTo(y.Length)
            : string.CompareOrdinal(x, y);
    }

    /// <summary>The lines of one server-sent event, kept as they came (up to the frame limit).</summary>
    private sealed class EventBlock(int maxBytes)
    {
        private readonly MemoryStream _raw = new();
        private readonly MemoryStream _data = new();

        public string Event { get; private set; } = "message";
        public bool Oversized { get; private set; }
        public bool IsEmpty => _raw.Length == 0 && !Oversized;
        public ReadOnlyMemory<byte> Data => _data.GetBuffer().AsMemory(0, (int)_data.Length);

        public void Add(StreamLine line)
        {
            Oversized |= line.Oversized;
            var bytes = line.Bytes.AsSpan();
            var room = maxBytes + 1 - (int)_raw.Length;
            if (_raw.Length > 0 && room > 0)
            {
                _raw.WriteByte((byte)'\n');
                room--;
            }
            if (bytes.Length > room)
            {
                Oversized = true;
            }
            _raw.Write(bytes[..Math.Min(bytes.Length, Math.Max(room, 0))]);
            if (bytes.StartsWith("event:"u8))
            {
                Event = Encoding.UTF8.GetString(bytes[6..]).Trim();
            }
            else if (bytes.StartsWith("data:"u8) && !Oversized)
            {
                var value = bytes[5..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }
                if (_data.Length > 0)
                {
                    _data.WriteByte((byte)'\n');
                }
                _data.Write(value);
            }
        }

        public byte[] ToArray() => _raw.ToArray();

        public void Clear()
        {
            _raw.SetLength(0);
            _data.SetLength(0);
            Event = "message";
            Oversized = false;
        }
    }
}
