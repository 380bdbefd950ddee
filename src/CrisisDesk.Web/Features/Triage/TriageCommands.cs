using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>A command that names something that does not exist or cannot take the change; the message says which.</summary>
public sealed class TriageInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// Triage marks on posts (Operator): flag as a possible rumour, mark reviewed. Each is authorised on the server, written
/// with its event in one transaction, and announced to every open war room after the commit.
/// </summary>
public sealed class TriageCommands(NpgsqlDataSource dataSource, CommandRunner commands, IncidentActivityFeed activity, TimeProvider time)
{
    public Task FlagAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "flag a post", new PostFlagged(postId), "flagged", cancellationToken);

    public Task MarkReviewedAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "mark a post reviewed", new PostReviewed(postId), "reviewed", cancellationToken);

    private async Task MarkAsync(ClaimsPrincipal user, long postId, string what, EventPayload mark, string column, CancellationToken cancellationToken)
    {
        var incidentId = await IncidentOfPostAsync(postId, cancellationToken);
        var seq = await commands.RunAsync(user, new CommandSpec(Policies.Operator, what, incidentId), async command =>
        {
            // column is one of two constants above, never input.
            var changed = await command.Connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO post_triage (post_id, incident_id, {column}_at, {column}_by) VALUES (@postId, @incidentId, now(), @actor)
                ON CONFLICT (post_id) DO UPDATE SET {column}_at = now(), {column}_by = @actor WHERE post_triage.{column}_at IS NULL
                """, new { postId, incidentId, actor = command.Actor }, command.Transaction, cancellationToken: cancellationToken));
            if (changed == 0)
            {
                command.NothingChanged(); // Already marked by someone: nothing changes and nothing is logged twice.
                return 0L;
            }
            return await command.RecordAsync(incidentId, mark);
        }, cancellationToken);
        if (seq != 0)
            activity.Publish(new IncidentActivity(incidentId, EventContract.ActionOf(mark), user.ActorName(), time.GetUtcNow(), seq, PostIds: [postId],
                Summary: $"{user.ActorName()} {column} post {postId}"));
    }

    private async Task<int> IncidentOfPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT incident_id FROM posts WHERE id = @postId", new { postId }, cancellationToken: cancellationToken))
            ?? throw new TriageInputException($"There is no post {postId}.");
    }
}
