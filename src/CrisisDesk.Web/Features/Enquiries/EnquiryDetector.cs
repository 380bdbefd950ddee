using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Replies;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>How often the detector reads new posts (<c>CrisisDesk:Enquiries</c>).</summary>
public sealed class EnquiryOptions
{
    public const string Section = "CrisisDesk:Enquiries";

    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Posts read per incident per scan.</summary>
    public int BatchSize { get; set; } = 2_000;
}

/// <summary>
/// Reads each incident's new posts (those with an id past its cursor, <c>enquiry_scan</c>) and opens an enquiry for
/// every post that asks the organisation something (<see cref="EnquiryMatcher"/>, with the Admin's rule and the
/// incident's accounts). The enquiries, their events and the cursor are written in one transaction, so a restart
/// neither misses a post nor opens one twice; an id cursor is exact because an incident's posts commit in id order
/// (PostWriter's per-incident turn). Only incidents with accounts are read: nobody can be mentioned otherwise.
/// </summary>
public sealed class EnquiryDetector(NpgsqlDataSource dataSource, IncidentActivityFeed activity, TimeProvider time, IOptions<EnquiryOptions> options,
    ILogger<EnquiryDetector> logger) : BackgroundService
{
    public const string Actor = "enquiry-detector";

    private sealed record Candidate(long Id, string Text);

    private sealed record Opened(int Id, long PostId, string Reason);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // Not migrated yet (a first start): nothing to read.
            }
            catch (Exception e)
            {
                logger.LogError(e, "Enquiry detection failed; it reads the same posts again at the next scan");
            }
            try
            {
                await Task.Delay(options.Value.ScanInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads every incident with accounts once; returns how many enquiries it opened.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var incidents = (await connection.QueryAsync<int>(new CommandDefinition("SELECT DISTINCT incident_id FROM org_accounts", cancellationToken: cancellationToken))).ToList();
        var opened = 0;
        foreach (var incidentId in incidents)
            opened += await ScanIncidentAsync(connection, incidentId, cancellationToken);
        return opened;
    }

    private async Task<int> ScanIncidentAsync(NpgsqlConnection connection, int incidentId, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One scanner per incident at a time, across instances: the cursor row is the lock.
        await connection.ExecuteAsync("INSERT INTO enquiry_scan (incident_id, last_post_id) VALUES (@incidentId, 0) ON CONFLICT DO NOTHING", new { incidentId }, transaction);
        var cursor = await connection.ExecuteScalarAsync<long>("SELECT last_post_id FROM enquiry_scan WHERE incident_id = @incidentId FOR UPDATE", new { incidentId }, transaction);
        var batch = (await connection.QueryAsync<Candidate>("""
            SELECT id, left(text, 5000) AS Text FROM posts WHERE incident_id = @incidentId AND id > @cursor ORDER BY id LIMIT @limit
            """, new { incidentId, cursor, limit = options.Value.BatchSize }, transaction)).ToList();
        if (batch.Count == 0)
            return 0;
        var handles = (await connection.QueryAsync<string>("SELECT handle FROM org_accounts WHERE incident_id = @incidentId", new { incidentId }, transaction)).ToList();
        var rule = await OrgAccountStore.ReadEnquiryRuleAsync(connection, transaction, cancellationToken);
        var opened = new List<Opened>();
        foreach (var post in batch)
        {
            if (EnquiryMatcher.Match(post.Text, handles, rule.RequireQuestion, rule.QuestionWords.ToList()) is not { } reason)
                continue;
            var id = await connection.ExecuteScalarAsync<int?>("""
                INSERT INTO enquiries (incident_id, post_id, reason, opened_by) VALUES (@incidentId, @postId, @reason, @actor)
                ON CONFLICT (incident_id, post_id) DO NOTHING RETURNING id
                """, new { incidentId, postId = post.Id, reason, actor = Actor }, transaction);
            if (id is { } enquiryId)
            {
                opened.Add(new Opened(enquiryId, post.Id, reason));
                await EventLog.AppendAsync(connection, transaction, Actor, incidentId, new EnquiryOpened(enquiryId, post.Id, reason), cancellationToken);
            }
        }
        await connection.ExecuteAsync("UPDATE enquiry_scan SET last_post_id = @last WHERE incident_id = @incidentId", new { incidentId, last = batch[^1].Id }, transaction);
        await transaction.CommitAsync(cancellationToken);
        foreach (var enquiry in opened)
        {
            activity.Publish(new IncidentActivity(incidentId, EventActions.EnquiryOpened, Actor, time.GetUtcNow(), PostIds: [enquiry.PostId],
                Summary: $"A resident asked the organisation something (enquiry {enquiry.Id})"));
        }
        return opened.Count;
    }
}
