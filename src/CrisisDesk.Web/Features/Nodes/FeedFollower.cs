using CrisisDesk.Core.Live;
using CrisisDesk.Core.Posts;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Options;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// On a web-only node: subscribes to an ingest node's feed hub and feeds this process's <see cref="LiveFeed"/>, which
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


    private readonly SemaphoreSlim _turn = new(1, 1);
    private Dictionary<int, long> _lastIds = [];
    private DateTimeOffset? _lostAt;
    private HubConnection? _connection;
    private int _connects;

    /// <summary>How many times it connected (the first connect counts 1): for health and the tests.</summary>
    public int Connects => Volatile.Read(ref _connects);

    public HubConnectionState State => _connection?.State ?? HubConnectionState.Disconnected;

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
        _connection = new HubConnectionBuilder()
            .WithUrl(settings.IngestHubUrl!, o => o.AccessTokenProvider = () => Task.FromResult<string?>(settings.ClusterKey))
            .WithAutomaticReconnect(new Backoff())
            .Build();
        _connection.On<FeedBatch>(nameof(IFeedClient.Batch), OnBatchAsync);
        _connection.Reconnecting += e =>
        {
            _lostAt ??= time.GetUtcNow();
            logger.LogWarning("Lost the feed hub ({Reason}); reconnecting", e?.Message ?? "closed");
            return Task.CompletedTask;
        };
        _connection.Reconnected += _ => OnConnectedAsync(stoppingToken);
        // Automatic reconnect covers a connection that was up; this covers the first one, and a give-up.
        _connection.Closed += async _ =>
        {
            _lostAt ??= time.GetUtcNow();
            if (!stoppingToken.IsCancellationRequested)
                await ConnectAsync(stoppingToken);
        };
        await ConnectAsync(stoppingToken);
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
        await _connection.DisposeAsync();
    }

    private async Task ConnectAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff();
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await _connection!.StartAsync(stoppingToken);
                await OnConnectedAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var wait = backoff.Delay(attempt);
                logger.LogWarning("Cannot reach the feed hub at {Url} ({Reason}); trying again in {Wait}", options.Value.IngestHubUrl, e.Message, wait);
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task OnConnectedAsync(CancellationToken stoppingToken)
    {
        await _connection!.InvokeAsync(nameof(FeedHub.FollowAll), stoppingToken);
        Interlocked.Increment(ref _connects);
        metrics.HubConnected();
        logger.LogInformation("Following the feed hub at {Url}", options.Value.IngestHubUrl);
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
    private sealed class Backoff : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) => Delay((int)Math.Min(retryContext.PreviousRetryCount, 100));

        public TimeSpan Delay(int attempt)
        {
            var seconds = attempt == 0 ? 0 : Math.Min(10, 0.5 * Math.Pow(2, attempt - 1));
            return TimeSpan.FromSeconds(seconds * (1 + Random.Shared.NextDouble() / 5));
        }
    }
}
