using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>A command that names something that does not exist or cannot take the change; the message says which.</summary>
public sealed class TriageInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// Triage marks on posts (Operator): flag as a possible rumour, mark reviewed. Each is authorised on the server, written
/// with its event in one transaction (on the domain's DbContext, through <see cref="CommandRunner"/>), and announced to
/// every open war room after the commit.
/// </summary>
public sealed class TriageCommands(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, IncidentActivityFeed activity, TimeProvider time)
{
    public Task FlagAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "flag a post", new PostFlagged(postId), flag: true, cancellationToken);

    public Task MarkReviewedAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "mark a post reviewed", new PostReviewed(postId), flag: false, cancellationToken);

    private async Task MarkAsync(ClaimsPrincipal user, long postId, string what, EventPayload mark, bool flag, CancellationToken cancellationToken)
    {
        var incidentId = await IncidentOfPostAsync(postId, cancellationToken);
        var seq = await commands.RunAsync(user, new CommandSpec(Policies.Operator, what, incidentId), async command =>
        {
            var at = time.GetUtcNow().UtcDateTime;
            var outcome = await MarkExistingAsync(command, postId, flag, at);
            if (outcome == Marking.NoRow)
            {
                command.Db.PostTriage.Add(flag
                    ? new PostTriageRow { PostId = postId, IncidentId = incidentId, FlaggedAt = at, FlaggedBy = command.Actor }
                    : new PostTriageRow { PostId = postId, IncidentId = incidentId, ReviewedAt = at, ReviewedBy = command.Actor });
                try
                {
                    command.Db.Database.AutoSavepointsEnabled = true; // a concurrent insert must leave the transaction usable
                    await command.SaveAsync();
                }
                catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
                {
                    // Someone marked the post at the same moment (EF rolled back to its savepoint): mark their row instead.
                    command.Db.ChangeTracker.Clear();
                    outcome = await MarkExistingAsync(command, postId, flag, at);
                }
            }
            if (outcome == Marking.AlreadyMarked)
            {
                command.NothingChanged(); // Already marked by someone: nothing changes and nothing is logged twice.
                return 0L;
            }
            return await command.RecordAsync(incidentId, mark);
        }, cancellationToken);
        if (seq != 0)
            activity.Publish(new IncidentActivity(incidentId, EventContract.ActionOf(mark), user.ActorName(), time.GetUtcNow(), seq, PostIds: [postId],
                Summary: $"{user.ActorName()} {(flag ? "flagged" : "reviewed")} post {postId}"));
    }

    private enum Marking { Marked, AlreadyMarked, NoRow }

    /// <summary>
    /// Marks the post's existing triage row when that mark is not set yet. One conditional update, so of two people
    /// marking at once exactly one changes it (and only one event is written).
    /// </summary>
    private static async Task<Marking> MarkExistingAsync(CommandTransaction command, long postId, bool flag, DateTime at)
    {
        var marks = command.Db.PostTriage.Where(t => t.PostId == postId);
        // One read first: most marks are on posts nobody has marked yet, which need no update attempt.
        var current = await marks.AsNoTracking().Select(t => new { t.FlaggedAt, t.ReviewedAt }).SingleOrDefaultAsync(command.CancellationToken);
        if (current is null)
            return Marking.NoRow;
        if ((flag ? current.FlaggedAt : current.ReviewedAt) is not null)
            return Marking.AlreadyMarked;
        var changed = flag
            ? await marks.Where(t => t.FlaggedAt == null).ExecuteUpdateAsync(u => u.SetProperty(t => t.FlaggedAt, at).SetProperty(t => t.FlaggedBy, command.Actor), command.CancellationToken)
            : await marks.Where(t => t.ReviewedAt == null).ExecuteUpdateAsync(u => u.SetProperty(t => t.ReviewedAt, at).SetProperty(t => t.ReviewedBy, command.Actor), command.CancellationToken);
        return changed > 0 ? Marking.Marked : Marking.AlreadyMarked;
    }

    private async Task<int> IncidentOfPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PostReferences.Where(p => p.Id == postId).Select(p => (int?)p.IncidentId).SingleOrDefaultAsync(cancellationToken)
            ?? throw new TriageInputException($"There is no post {postId}.");
    }
}
