using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// On a web-only node: subscribes to an ingest node's feed hub (the first it reaches of those configured, moving to the
/// next when it is lost) and feeds this process's <see cref="LiveFeed"/>, which
/// the war room, the temperature board and the rumour suggester already read, so they work unchanged. On every
/// (re)connect, and for every batch announced, it reads from PostgreSQL the incident's posts after the last id it
/// holds: a dropped connection loses nothing and nothing is shown twice. Edits and deletions are passed on as
/// announced, and after a reconnect those received while it was away are read again (repeats are harmless: the war
/// room reads a changed post again).
/// </summary>
internal sealed class FeedFollower(
    IOptions<FeedHubOptions> options,
    FeedCatchUp catchUp,
    LiveFeed feed,
    NodeMetrics metrics,
    TimeProvider time,
    ILogger<FeedFollower> logger) : BackgroundService
{
    /// <summary>How far back a reconnect reads changes, before the moment the connection was lost (clocks differ a little).</summary>
    private static readonly TimeSpan ChangeMargin = TimeSpan.FromSeconds(30);


    /// <summary>How long a hub may take to answer a connect before the next one is tried.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<Uri> _urls = options.Value.HubUrls();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private Dictionary<int, long> _lastIds = [];
    private DateTimeOffset? _lostAt;
    private HubConnection? _connection;
    private int _urlIndex;
    private int _connects;

    /// <summary>How many times it connected (the first connect counts 1): for health and the tests.</summary>
    public int Connects => Volatile.Read(ref _connects);

    public HubConnectionState State => _connection?.State ?? HubConnectionState.Disconnected;

    /// <summary>The hub followed now, or tried next.</summary>
    public Uri FollowedUrl => _urls[Volatile.Read(ref _urlIndex)];

    /// <summary>The last post id this node holds for the incident (0 for none).</summary>
    public long LastIdOf(int incidentId)
    {
        lock (_lastIds)
            return _lastIds.GetValueOrDefault(incidentId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // Start at the newest post: pages read what is older from the database when they open.
        var latest = await catchUp.LatestIdsAsync(stoppingToken);
        lock (_lastIds)
            _lastIds = latest;
        // Not awaited: the sweep below runs meanwhile, so posts show even while no hub can be reached.
        var connecting = ConnectAsync(stoppingToken);
        // A sweep now and then: posts committed by an ingest node this one is not connected to (several ingest nodes
        // and no shared backplane), or whose push was lost, show within the sweep interval. Cheap: an indexed read per incident.
        try
        {
            if (settings.SweepSeconds > 0)
            {
                using var sweep = new PeriodicTimer(TimeSpan.FromSeconds(settings.SweepSeconds));
                while (await sweep.WaitForNextTickAsync(stoppingToken))
                    await SweepAsync(stoppingToken);
            }
            else
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        await connecting;
        if (_connection is not null)
            await _connection.DisposeAsync();
    }

    /// <summary>A connection to one hub; when it closes (the node died, the network dropped) the next is opened.</summary>
    private HubConnection Build(Uri url, CancellationToken stoppingToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(options.Value.ClusterKey))
            .Build();
        connection.On<FeedBatch>(nameof(IFeedClient.Batch), OnBatchAsync);
        connection.Closed += async e =>
        {
            if (stoppingToken.IsCancellationRequested || !ReferenceEquals(connection, _connection))
                return; // stopping, or one given up already
            _lostAt ??= time.GetUtcNow();
            logger.LogWarning("Lost the feed hub at {Url} ({Reason}); reconnecting", url, e?.Message ?? "closed");
            await ConnectAsync(stoppingToken);
        };
        return connection;
    }

    /// <summary>
    /// Connects to the hub last followed, else to the next in <see cref="FeedHubOptions.HubUrls"/>, round after round:
    /// every hub once without waiting, then a pause that grows (see <see cref="Backoff"/>) before the next round. On
    /// success it catches up from PostgreSQL by the last id held, whichever hub it is, so nothing is lost or shown twice.
    /// </summary>
    private async Task ConnectAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _connecting.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (_connection?.State == HubConnectionState.Connected)
                return; // connected by another turn while this one waited
            for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
            {
                if (attempt > 0 && attempt % _urls.Count == 0)
                    await Task.Delay(Backoff.Delay(attempt / _urls.Count), time, stoppingToken);
                var url = _urls[_urlIndex];
                var previous = _connection;
                _connection = Build(url, stoppingToken);
                if (previous is not null)
                    await previous.DisposeAsync();
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(ConnectTimeout);
                    await _connection.StartAsync(timeout.Token);
                    await OnConnectedAsync(_connection, url, stoppingToken);
                    return;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Cannot follow the feed hub at {Url} ({Reason}); trying the next", url, e.Message);
                    _urlIndex = (_urlIndex + 1) % _urls.Count;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _connecting.Release();
        }
    }

    private async Task OnConnectedAsync(HubConnection connection, Uri url, CancellationToken stoppingToken)
    {
        await connection.InvokeAsync(nameof(FeedHub.FollowAll), stoppingToken);
        Interlocked.Increment(ref _connects);
        metrics.HubConnected();
        logger.LogInformation("Following the feed hub at {Url}", url);
        await _turn.WaitAsync(stoppingToken);
        try
        {
            foreach (var incidentId in await catchUp.IncidentsAsync(stoppingToken))
                await CatchUpAsync(incidentId, [], stoppingToken);
            if (_lostAt is { } lost)
            {
                var changes = await catchUp.ChangesSinceAsync(lost - ChangeMargin, stoppingToken);
                foreach (var group in changes.GroupBy(c => c.IncidentId))
                    feed.Publish(group.Key, [], group.ToList());
                _lostAt = null;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        await _turn.WaitAsync(stoppingToken);
        try
        {
            foreach (var incidentId in await catchUp.IncidentsAsync(stoppingToken))
                await CatchUpAsync(incidentId, [], stoppingToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "The feed sweep could not read; the next one will");
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task OnBatchAsync(FeedBatch batch)
    {
        await _turn.WaitAsync();
        try
        {
            metrics.BatchReceived(batch.Posts.Count);
            if (batch.ToId > LastIdOf(batch.IncidentId) || batch.Overflowed)
                await CatchUpAsync(batch.IncidentId, batch.Changes, CancellationToken.None);
            else if (batch.Changes.Count > 0)
                feed.Publish(batch.IncidentId, [], batch.Changes);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            // The next batch, or the next reconnect, reads from the same last id: nothing is lost, only later.
            logger.LogWarning(e, "Could not read incident {IncidentId}'s new posts; the next batch or reconnect will", batch.IncidentId);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Reads and announces the incident's posts after the last id held (in turn: the caller holds <see cref="_turn"/>).</summary>
    private async Task CatchUpAsync(int incidentId, IReadOnlyList<PostChange> changes, CancellationToken cancellationToken)
    {
        var pendingChanges = changes;
        while (true)
        {
            var posts = await catchUp.PostsAfterAsync(incidentId, LastIdOf(incidentId), cancellationToken);
            if (posts.Count > 0)
            {
                lock (_lastIds)
                    _lastIds[incidentId] = posts[^1].Id;
            }
            if (posts.Count + pendingChanges.Count > 0)
                feed.Publish(incidentId, posts, pendingChanges);
            pendingChanges = [];
            if (posts.Count < FeedCatchUp.ReadLimit)
                return;
        }
    }

    /// <summary>0, ½, 1, 2, 4, 8 s, then every 10 s, each with up to a fifth more at random (nodes do not retry in step); never gives up.</summary>
    private static class Backoff
    {
        public static TimeSpan Delay(int attempt)
        {
            var seconds = attempt == 0 ? 0 : Math.Min(10, 0.5 * Math.Pow(2, attempt - 1));
            return TimeSpan.FromSeconds(seconds * (1 + Random.Shared.NextDouble() / 5));
        }
    }
}
