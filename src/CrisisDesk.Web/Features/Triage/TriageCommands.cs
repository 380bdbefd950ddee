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
/// with its event in one transaction (one upsert on the domain's DbContext, <see cref="PostTriageMarks"/>, through
/// <see cref="CommandRunner"/>), and announced to every open war room after the commit.
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
            if (!await PostTriageMarks.MarkAsync(command.Db, postId, incidentId, flag ? PostMark.Flagged : PostMark.Reviewed, command.Actor, at, command.CancellationToken))
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

    private async Task<int> IncidentOfPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PostReferences.Where(p => p.Id == postId).Select(p => (int?)p.IncidentId).SingleOrDefaultAsync(cancellationToken)
            ?? throw new TriageInputException($"There is no post {postId}.");
    }
}
