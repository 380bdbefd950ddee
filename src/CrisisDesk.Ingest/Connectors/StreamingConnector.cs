using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CrisisDesk.Core.Ingest;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CrisisDesk.Ingest.Connectors;

/// <summary>
/// What the X, Mastodon and Bluesky connectors share: a session loop run through a Polly.Core pipeline
/// (retry with the platforms' back-off and server hints, circuit breaker, connect timeout), a bounded buffer between the
/// network and the pipeline, the visible state and counters. A subclass only connects, reads frames and emits items.
/// </summary>
/// <remarks>
/// The retry never gives up: a live incident wants its source back as soon as the platform is. Only a
/// <see cref="StreamFailureKind.Fatal"/> failure (credentials, rules, configuration) ends <see cref="ReadAsync"/>, with
/// <see cref="SourceState.Failed"/> and the reason. An open circuit shows as Failed with the reason and when it retries.
/// </remarks>
public abstract class StreamingConnector : IIngestSource
{
    private readonly ISourceStatusReporter _status;
    private readonly TimeProvider _time;
    private readonly ReconnectBackoff _backoff;
    private readonly ResiliencePipeline<SessionEnd> _pipeline;
    private readonly ResiliencePipeline _connectTimeout;
    private readonly RecentIdWindow _recent;
    private string _lastFailure = "none";
    private DateTimeOffset _circuitOpenUntil;

    protected StreamingConnector(StreamTimings timings, ISourceStatusReporter status, TimeProvider? time = null)
    {
        Timings = timings;
        _status = status;
        _time = time ?? TimeProvider.System;
        _backoff = new ReconnectBackoff(timings);
        _recent = new RecentIdWindow(timings.DedupeWindow);
        _connectTimeout = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddTimeout(timings.ConnectTimeout)
            .Build();
        _pipeline = new ResiliencePipelineBuilder<SessionEnd> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<SessionEnd>
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Result: { Dropped: true } } => true,
                    { Exception: StreamFailureException { Kind: StreamFailureKind.Fatal } } => false,
                    { Exception: StreamFailureException or BrokenCircuitException } => true,
                    _ => false,
                }),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Decide(args.Outcome).Delay),
                OnRetry = args =>
                {
                    Counters.Reconnect();
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<SessionEnd>
            {
                // Only failed attempts count: a session that delivered data and then dropped is a success here.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is StreamFailureException
                {
                    Kind: StreamFailureKind.Network or StreamFailureKind.Http,
                }),
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, timings.CircuitFailureThreshold),
                SamplingDuration = timings.CircuitSamplingDuration,
                BreakDuration = timings.CircuitBreakDuration,
                OnOpened = args =>
                {
                    // Reported once per opening; attempts refused while it is open only wait.
                    _circuitOpenUntil = Now + args.BreakDuration;
                    _lastFailure = args.Outcome.Exception?.Message ?? _lastFailure;
                    _status.Report(SourceState.Failed,
                        $"{timings.CircuitFailureThreshold} failed attempts in a row, last: {_lastFailure}; trying again at {_circuitOpenUntil:HH:mm:ss}",
                        _circuitOpenUntil);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public StreamTimings Timings { get; }

    /// <summary>Frames, items, reconnects… since this connector was created.</summary>
    public ConnectorCounters Counters { get; } = new();

    protected DateTimeOffset Now => _time.GetUtcNow();

    public async IAsyncEnumerable<RawItem> ReadAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = Channel.CreateBounded<RawItem>(new BoundedChannelOptions(Timings.BufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Resume(cursor);
        var producer = Task.Run(() => ProduceAsync(buffer.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var item in buffer.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer;
        }
    }

    /// <summary>Sets where the next session starts: the cursor last saved with a batch, or null for "from now".</summary>
    protected abstract void Resume(string? cursor);

    /// <summary>
    /// One connection: connect (through <see cref="ConnectAsync{T}"/>), call <see cref="Session.Connected"/>, read frames
    /// and emit items until the stream ends or fails. Throw <see cref="StreamFailureException"/> for classified failures;
    /// network exceptions (IO, sockets, WebSocket, idle timeout) are classified here.
    /// </summary>
    protected abstract Task RunSessionAsync(Session session, CancellationToken cancellationToken);

    /// <summary>Runs a connection attempt under the connect timeout.</summary>
    protected ValueTask<T> ConnectAsync<T>(Func<CancellationToken, ValueTask<T>> connect, CancellationToken cancellationToken) =>
        _connectTimeout.ExecuteAsync(connect, cancellationToken);

    private async Task ProduceAsync(ChannelWriter<RawItem> writer, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        _status.Report(SourceState.Starting);
        try
        {
            await _pipeline.ExecuteAsync(token => SessionAsync(writer, token), cancellationToken);
            _status.Report(SourceState.Completed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _status.Report(SourceState.Stopped);
        }
        catch (Exception ex)
        {
            _status.Report(SourceState.Failed, ex.Message);
            failure = ex;
        }
        finally
        {
            writer.TryComplete(failure);
        }
    }

    private async ValueTask<SessionEnd> SessionAsync(ChannelWriter<RawItem> writer, CancellationToken cancellationToken)
    {
        var session = new Session(this, writer);
        try
        {
            await RunSessionAsync(session, cancellationToken);
            return session.Delivered
                ? SessionEnd.Drop("server closed the stream")
                : throw new StreamFailureException(StreamFailureKind.Network, "server closed the stream before sending anything");
        }
        catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
        {
            var reason = ex is TimeoutRejectedException ? "connection attempt timed out" : ex.Message;
            return session.Delivered
                ? SessionEnd.Drop(reason)
                : throw new StreamFailureException(StreamFailureKind.Network, reason, inner: ex);
        }
    }

    private static bool IsNetworkFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested &&
        ex is IOException or HttpRequestException or WebSocketException or StreamIdleException or TimeoutRejectedException
            or System.Net.Sockets.SocketException;

    private ReconnectDecision Decide(Outcome<SessionEnd> outcome)
    {
        var now = Now;
        ReconnectDecision decision;
        switch (outcome)
        {
            case { Result: { Dropped: true } end }:
                decision = _backoff.AfterDrop(now, end.Reason);
                break;
            case { Exception: BrokenCircuitException }:
                // Wait out the break (already shown as Failed when the circuit opened); a millisecond more lets it half-open.
                var wait = (_circuitOpenUntil > now ? _circuitOpenUntil - now : TimeSpan.Zero) + TimeSpan.FromMilliseconds(1);
                return new ReconnectDecision(wait, SourceState.Failed, now + wait, "circuit open");
            case { Exception: StreamFailureException failure }:
                _lastFailure = failure.Message;
                decision = _backoff.AfterFailure(failure.Kind, now, failure.RetryAt, failure.Message);
                break;
            default:
                decision = _backoff.AfterFailure(StreamFailureKind.Network, now, null, outcome.Exception?.Message ?? "unknown");
                break;
        }
        var detail = decision.State switch
        {
            SourceState.RateLimited => $"until {decision.Until:O} ({decision.Reason})",
            SourceState.Failed => decision.Reason,
            _ => $"in {decision.Delay.TotalSeconds:0.###} s ({decision.Reason})",
        };
        _status.Report(decision.State, detail, decision.Until);
        return decision;
    }

    /// <summary>The end of a session that delivered data: the retry reconnects at once.</summary>
    protected internal sealed record SessionEnd(bool Dropped, string Reason)
    {
        public static SessionEnd Drop(string reason) => new(true, reason);
    }

    /// <summary>What a subclass uses within one connection.</summary>
    protected sealed class Session(StreamingConnector owner, ChannelWriter<RawItem> writer)
    {
        public bool Delivered { get; private set; }

        /// <summary>The server accepted the connection.</summary>
        public void Connected(string? detail = null)
        {
            owner.Counters.Connected();
            owner._status.Report(SourceState.Connected, detail);
        }

        /// <summary>A keep-alive or any frame arrived: the connection works, back-offs start again.</summary>
        public void Alive(bool keepAlive)
        {
            if (keepAlive)
            {
                owner.Counters.KeepAlive();
            }
            else
            {
                owner.Counters.Frame();
            }
            if (!Delivered)
            {
                Delivered = true;
                owner._backoff.Reset();
            }
        }

        /// <summary>
        /// Hands <paramref name="item"/> to the pipeline unless <paramref name="identity"/> (the item's id and version) was
        /// handed over recently. Null identity (an unreadable frame) always goes through, to be quarantined with its reason.
        /// </summary>
        public async ValueTask EmitAsync(RawItem item, string? identity, CancellationToken cancellationToken)
        {
            if (identity is not null && !owner._recent.Add(identity))
            {
                owner.Counters.Duplicate();
                return;
            }
            await writer.WriteAsync(item, cancellationToken);
            owner.Counters.Item();
        }

        /// <summary>True when <paramref name="identity"/> was handed over recently (used to pass deletes of known posts).</summary>
        public bool Seen(string identity) => owner._recent.Contains(identity);

        /// <summary>Remembers an identity without handing anything over (e.g. the post a later edit or delete refers to).</summary>
        public void Remember(string identity) => owner._recent.Add(identity);

        public void Oversized() => owner.Counters.Oversized();
        public void Filtered() => owner.Counters.Filtered();
    }
}
