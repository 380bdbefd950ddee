using System.ComponentModel.DataAnnotations;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Data.Posts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrisisDesk.Web.Features.Review;

/// <summary><c>CrisisDesk:Retention</c>: how long post content is kept. Off (kept for ever) unless PostDays is set.</summary>
public sealed class RetentionOptions
{
    public const string Section = "CrisisDesk:Retention";

    /// <summary>Days after arrival when a post's text and author details are erased; null keeps them.</summary>
    [Range(1, 36500)]
    public int? PostDays { get; set; }

    /// <summary>How often the job looks for posts to erase.</summary>
    [Range(1, 10080)]
    public int IntervalMinutes { get; set; } = 60;

    /// <summary>Posts erased per transaction, so that the job never holds many rows locked at once.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5000;
}

/// <summary>
/// Erases the personal content of posts older than the retention period: text (every version of an edited post),
/// author handle and name, link and platform extras, and the raw payloads of quarantined items of the same age. The rows stay, so every count,
/// chart and story membership (by post id) is unchanged; the event log is never touched, so its chain still verifies.
/// Each batch is recorded as <c>retention.applied</c> in the transaction that erased it.
/// </summary>
/// <remarks>
/// Stays on Npgsql whole: every statement writes posts, their versions, their search documents or quarantined payloads
/// in batches of thousands (the hot path's tables, by the rule in <c>CrisisDeskDbContext</c>'s remarks). Each batch
/// locks its posts <c>FOR UPDATE SKIP LOCKED</c>, so it passes over rows the post writer or a second instance holds
/// rather than waiting on them.
/// </remarks>
public sealed class RetentionJob(NpgsqlDataSource dataSource)
{
    public const string Actor = "system:retention";

    /// <summary>Erases what is older than <paramref name="postDays"/> before <paramref name="now"/>; returns how many posts.</summary>
    public async Task<long> ApplyAsync(int postDays, DateTimeOffset now, int batchSize = 5000, CancellationToken cancellationToken = default)
    {
        var cutoff = now.AddDays(-postDays);
        long total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var erased = new List<(long Id, int IncidentId)>();
            // hot path: posts at volume (a batch of their writes), Npgsql by the rule in CrisisDeskDbContext's remarks.
            await using (var erase = new NpgsqlCommand("""
                WITH due AS (
                    SELECT id FROM posts WHERE received_at < $1 AND erased_at IS NULL
                     ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                UPDATE posts p
                   SET text = '', author_handle = NULL, author_name = NULL, url = NULL, extra = NULL, erased_at = now()
                  FROM due WHERE p.id = due.id
                RETURNING p.id, p.incident_id
                """, connection, transaction)
            {
                Parameters = { new() { Value = cutoff }, new() { Value = batchSize } },
            })
            await using (var reader = await erase.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    erased.Add((reader.GetInt64(0), reader.GetInt32(1)));
            }
            // Their search documents too (written here, so the indexer, arriving later, leaves them empty).
            await using (var search = new NpgsqlCommand(SearchIndexer.ClearPostsSql, connection, transaction)
            {
                Parameters = { new() { Value = erased.Select(e => e.Id).Order().ToArray() } },
            })
                await search.ExecuteNonQueryAsync(cancellationToken);
            // The earlier versions of edited posts go with them (and any a late edit slipped in after an earlier round).
            // hot path: post_versions at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
            await using (var versions = new NpgsqlCommand("""
                UPDATE post_versions v SET text = '', extra = NULL
                  FROM posts p WHERE p.id = v.post_id AND p.erased_at IS NOT NULL AND (v.text <> '' OR v.extra IS NOT NULL)
                """, connection, transaction))
                await versions.ExecuteNonQueryAsync(cancellationToken);
            // The ingest pipeline's quarantined raw payloads, erased in bulk: Npgsql, like the rest of the ingest's tables.
            long quarantined;
            await using (var clear = new NpgsqlCommand(
                "UPDATE quarantine SET payload = ''::bytea, erased_at = now() WHERE received_at < $1 AND erased_at IS NULL", connection, transaction)
            {
                Parameters = { new() { Value = cutoff } },
            })
                quarantined = await clear.ExecuteNonQueryAsync(cancellationToken);
            if (erased.Count == 0 && quarantined == 0)
                return total;
            // One event per incident touched, so that each incident's own history shows what was erased and when.
            foreach (var incident in erased.GroupBy(e => e.IncidentId))
            {
                await EventLog.AppendAsync(connection, transaction, Actor, incident.Key, new RetentionApplied(
                    postDays, cutoff, PostsErased: incident.Count(), FirstPostId: incident.Min(e => e.Id), LastPostId: incident.Max(e => e.Id)), cancellationToken);
            }
            if (quarantined > 0)
                await EventLog.AppendAsync(connection, transaction, Actor, null, new RetentionApplied(postDays, cutoff, QuarantinedErased: quarantined), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            total += erased.Count;
            if (erased.Count < batchSize)
                return total;
        }
    }
}

/// <summary>Runs the retention job every <see cref="RetentionOptions.IntervalMinutes"/> when a period is configured.</summary>
public sealed class RetentionService(RetentionJob job, IOptions<RetentionOptions> options, ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PostDays is not { } days)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.IntervalMinutes));
        do
        {
            try
            {
                var erased = await job.ApplyAsync(days, DateTimeOffset.UtcNow, options.Value.BatchSize, stoppingToken);
                if (erased > 0)
                    logger.LogInformation("Retention erased the content of {Count} posts older than {Days} days.", erased, days);
            }
            catch (NpgsqlException e)
            {
                // The database may be briefly unreachable; the next round catches up.
                logger.LogWarning(e, "Retention could not run this round.");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
