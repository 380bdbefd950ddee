using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Notifications;
using CrisisDesk.Web.Features.Rumours;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// The in-process live signals (an inbox changed, an operator acted in an incident) carried to every other node through
/// PostgreSQL's NOTIFY, so a page open on any web node moves when something happens on another. A node tells its own
/// pages directly; each message carries the sending node's <see cref="Origin"/> so that its own listener skips it.
/// The database stays the source of truth: the messages only say "read again".
/// </summary>
public sealed class ClusterSignals
{
    public const string InboxChannel = "crisisdesk_inbox";
    public const string ActivityChannel = "crisisdesk_activity";
    public const string SessionsChannel = "crisisdesk_sessions";

    /// <summary>PostgreSQL refuses a payload of 8,000 bytes or more; ours stay well under.</summary>
    internal const int MaxPayloadBytes = 7_000;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>This node's mark on what it sends (one per host, so two hosts in one process are two nodes).</summary>
    public Guid Origin { get; } = Guid.NewGuid();

    internal sealed record InboxMessage(Guid Origin, IReadOnlyList<string> Users);

    internal sealed record ActivityMessage(Guid Origin, IncidentActivity Activity);

    internal sealed record SessionsMessage(Guid Origin, int UserId);

    /// <summary>
    /// Tells every node that sessions of this user were revoked, inside the revoking transaction (delivered only if it
    /// commits): each forgets what it remembers of the user's sessions and has their open pages check again. The
    /// message names the user, never a session token.
    /// </summary>
    public Task AnnounceSessionsRevokedAsync(CrisisDeskDbContext db, int userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({SessionsChannel}, {JsonSerializer.Serialize(new SessionsMessage(Origin, userId), Json)})", cancellationToken);

    /// <summary>
    /// Tells every node that these people's inboxes changed, inside the caller's transaction: PostgreSQL delivers the
    /// NOTIFY when, and only if, the transaction commits, so nobody is told of a notification that was rolled back.
    /// </summary>
    public async Task AnnounceInboxAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> users,
        CancellationToken cancellationToken)
    {
        if (users.Count == 0)
            return;
        var payloads = new List<string>();
        var chunk = new List<string>();
        var size = 100;
        foreach (var user in users.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var bytes = Encoding.UTF8.GetByteCount(user) * 2 + 8; // escaped at worst
            if (chunk.Count > 0 && size + bytes > MaxPayloadBytes)
            {
                payloads.Add(JsonSerializer.Serialize(new InboxMessage(Origin, chunk), Json));
                chunk = [];
                size = 100;
            }
            chunk.Add(user);
            size += bytes;
        }
        payloads.Add(JsonSerializer.Serialize(new InboxMessage(Origin, chunk), Json));
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@InboxChannel, p) FROM unnest(@payloads) p",
            new { InboxChannel, payloads }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>As <see cref="AnnounceInboxAsync(NpgsqlConnection, NpgsqlTransaction, IReadOnlyCollection{string}, CancellationToken)"/>, in the DbContext's open transaction.</summary>
    public Task AnnounceInboxAsync(DbContext db, IReadOnlyCollection<string> users, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("An inbox is announced inside the transaction that changed it: begin one first.");
        return AnnounceInboxAsync((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction(), users, cancellationToken);
    }

    /// <summary>The message for one activity, made to fit: the post ids and a long summary are dropped first.</summary>
    internal string ActivityPayload(IncidentActivity activity)
    {
        var payload = JsonSerializer.Serialize(new ActivityMessage(Origin, activity), Json);
        if (Encoding.UTF8.GetByteCount(payload) <= MaxPayloadBytes)
            return payload;
        var summary = activity.Summary is { Length: > 500 } s ? s[..499] + "…" : activity.Summary;
        return JsonSerializer.Serialize(new ActivityMessage(Origin, activity with { PostIds = null, Summary = summary }), Json);
    }
}

/// <summary>
/// Sends every operator action announced on this node (<see cref="IncidentActivityFeed"/>) to the other nodes, and
/// announces here those the other nodes sent. Actions are published after their commit, so this sends after it too,
/// from a queue, never holding up the command. Presence and rumour suggestions are this node's own state, not sent.
/// </summary>
public sealed class ActivityRelay(IncidentActivityFeed activity, ClusterSignals signals, NpgsqlDataSource dataSource, ILogger<ActivityRelay> logger)
    : BackgroundService
{
    private const string Suggested = "rumour.suggested";

    private readonly Channel<IncidentActivity> _outgoing = Channel.CreateBounded<IncidentActivity>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    // What came from another node is announced here like the rest; marked (by reference) so it is not sent back.
    private readonly ConditionalWeakTable<IncidentActivity, object> _received = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = activity.SubscribeAll(batch =>
        {
            foreach (var a in batch)
            {
                if (!_received.TryGetValue(a, out _) && a.Action is not (RumourPresence.Action or Suggested))
                    _outgoing.Writer.TryWrite(a);
            }
            return Task.CompletedTask;
        }, TimeSpan.Zero);
        var pending = new List<string>();
        // What failed to send is sent again without waiting for the next action.
        while (pending.Count > 0 && !stoppingToken.IsCancellationRequested || await WaitAsync(stoppingToken))
        {
            while (pending.Count < 100 && _outgoing.Reader.TryRead(out var next))
                pending.Add(signals.ActivityPayload(next));
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@ActivityChannel, p) FROM unnest(@pending) p",
                    new { ClusterSignals.ActivityChannel, pending = pending.ToArray() }, cancellationToken: stoppingToken));
                pending.Clear();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Kept and sent again: the other nodes' pages move late rather than not at all.
                logger.LogWarning(e, "Could not tell the other nodes of {Count} action(s); trying again", pending.Count);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await _outgoing.Reader.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>An action another node sent (a <see cref="ClusterSignals.ActivityMessage"/>): announced here, unless it is this node's own.</summary>
    internal void Receive(string payload)
    {
        var message = JsonSerializer.Deserialize<ClusterSignals.ActivityMessage>(payload, ClusterSignals.Json);
        if (message is null || message.Origin == signals.Origin)
            return;
        _received.AddOrUpdate(message.Activity, this);
        activity.Publish(message.Activity);
    }
}

/// <summary>
/// On a web node: one dedicated PostgreSQL connection that LISTENs for the other nodes' signals and passes them to this
/// node's pages (<see cref="NotificationHub"/>, <see cref="IncidentActivityFeed"/>) and its session checks
/// (<see cref="SessionStore"/>). When the connection is lost it reconnects with backoff and, having maybe missed something
/// meanwhile, tells every open inbox to read its count again and drops every session it remembers.
/// </summary>
public sealed class ClusterListener(
    NpgsqlDataSource dataSource,
    ClusterSignals signals,
    NotificationHub inbox,
    ActivityRelay activity,
    SessionStore sessions,
    TimeProvider time,
    ILogger<ClusterListener> logger) : BackgroundService
{
    /// <summary>How long the connection may sit silent before a query checks that it is still there.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The connection's application_name, so that an operator (and the tests that cut it) can tell it in
    /// pg_stat_activity whatever it ran last: LISTEN, or the keep-alive's query.
    /// </summary>
    public const string ApplicationName = "crisisdesk cluster listener";

    private int _connects;

    /// <summary>How many times it has started listening (the first time counts 1): for the tests and health.</summary>
    public int Connects => Volatile.Read(ref _connects);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var failures = 0; !stoppingToken.IsCancellationRequested;)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await connection.ExecuteAsync(
                    $"SET application_name = '{ApplicationName}'; LISTEN {ClusterSignals.InboxChannel}; LISTEN {ClusterSignals.ActivityChannel}; LISTEN {ClusterSignals.SessionsChannel}");
                failures = 0;
                // Until now this node was not listening (a gap, or the start, when it may already have served requests):
                // a revocation made meanwhile was not heard, so nothing it remembers of sessions can be trusted.
                sessions.ForgetEveryone();
                if (Interlocked.Increment(ref _connects) > 1)
                {
                    logger.LogInformation("Listening to the other nodes again");
                    // What was sent while this node was not listening is lost: every open inbox reads its count again.
                    inbox.ChangedForEveryone();
                }
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(KeepAlive, stoppingToken))
                        await connection.ExecuteAsync(new CommandDefinition("SELECT 1", cancellationToken: stoppingToken));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // 0.5, 1, 2, 4, 8, then every 10 s.
                var wait = TimeSpan.FromSeconds(Math.Min(10, 0.5 * Math.Pow(2, failures++)));
                logger.LogWarning("Lost the database connection that listens to the other nodes ({Reason}); trying again in {Wait}", e.Message, wait);
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        try
        {
            switch (channel)
            {
                case ClusterSignals.InboxChannel:
                    if (JsonSerializer.Deserialize<ClusterSignals.InboxMessage>(payload, ClusterSignals.Json) is { } message && message.Origin != signals.Origin)
                        inbox.Changed(message.Users);
                    break;
                case ClusterSignals.ActivityChannel:
                    activity.Receive(payload);
                    break;
                case ClusterSignals.SessionsChannel:
                    // The node that revoked has already forgotten them itself, after its commit.
                    if (JsonSerializer.Deserialize<ClusterSignals.SessionsMessage>(payload, ClusterSignals.Json) is { } revoked && revoked.Origin != signals.Origin)
                        sessions.Forget(revoked.UserId);
                    break;
            }
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "A signal on {Channel} was not understood", channel);
        }
    }
}
