using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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
/// (PostWriter's per-incident turn). Only incidents with accounts are read: nobody can be mentioned otherwise. The
/// domain's rows go through the DbContext, in its transaction; the batch of posts is read on that transaction's
/// connection with Npgsql (posts at volume).
/// </summary>
public sealed class EnquiryDetector(IDbContextFactory<CrisisDeskDbContext> contexts, IncidentActivityFeed activity, TimeProvider time, IOptions<EnquiryOptions> options,
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
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var incidents = await db.OrgAccounts.AsNoTracking().Select(a => a.IncidentId).Distinct().ToListAsync(cancellationToken);
        var opened = 0;
        foreach (var incidentId in incidents)
            opened += await ScanIncidentAsync(db, incidentId, cancellationToken);
        return opened;
    }

    private async Task<int> ScanIncidentAsync(CrisisDeskDbContext db, int incidentId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // One scanner per incident at a time, across instances: the cursor row is the lock.
        await EnquiryDetection.StartScanAsync(db, incidentId, cancellationToken);
        var cursor = await EnquiryScanCursor.LockAsync(db, incidentId, cancellationToken);
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks (on the transaction's connection).
        var batch = (await db.Database.GetDbConnection().QueryAsync<Candidate>(new CommandDefinition("""
            SELECT id, left(text, 5000) AS Text FROM posts WHERE incident_id = @incidentId AND id > @cursor ORDER BY id LIMIT @limit
            """, new { incidentId, cursor, limit = options.Value.BatchSize }, transaction.GetDbTransaction(), cancellationToken: cancellationToken))).ToList();
        if (batch.Count == 0)
            return 0;
        var handles = await db.OrgAccounts.AsNoTracking().Where(a => a.IncidentId == incidentId).Select(a => a.Handle).ToListAsync(cancellationToken);
        var rule = await db.EnquiryRules.AsNoTracking().Select(r => new { r.RequireQuestion, r.QuestionWords }).SingleAsync(cancellationToken);
        var questionWords = rule.QuestionWords.ToList();
        var opened = new List<Opened>();
        foreach (var post in batch)
        {
            if (EnquiryMatcher.Match(post.Text, handles, rule.RequireQuestion, questionWords) is not { } reason)
                continue;
            if (await EnquiryDetection.OpenAsync(db, incidentId, post.Id, reason, Actor, cancellationToken) is { } enquiryId)
            {
                opened.Add(new Opened(enquiryId, post.Id, reason));
                await EventLog.AppendAsync(db, Actor, incidentId, new EnquiryOpened(enquiryId, post.Id, reason), cancellationToken);
            }
        }
        var last = batch[^1].Id;
        await db.EnquiryScans.Where(s => s.IncidentId == incidentId).ExecuteUpdateAsync(s => s.SetProperty(c => c.LastPostId, last), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var enquiry in opened)
        {
            activity.Publish(new IncidentActivity(incidentId, EventActions.EnquiryOpened, Actor, time.GetUtcNow(), PostIds: [enquiry.PostId],
                Summary: $"A resident asked the organisation something (enquiry {enquiry.Id})"));
        }
        return opened.Count;
    }
}
