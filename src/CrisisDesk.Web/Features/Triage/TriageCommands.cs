using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>A command that names something that does not exist or cannot take the change; the message says which.</summary>
public sealed class TriageInputException(string message) : Exception(message);

/// <summary>
/// Triage marks on posts (Operator): flag as a possible rumour, mark reviewed. Each is authorised on the server, written
/// with its event in one transaction, and announced to every open war room after the commit.
/// </summary>
public sealed class TriageCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, IncidentActivityFeed activity, TimeProvider time)
{
    public Task FlagAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "flag a post", "post.flagged", "flagged", cancellationToken);

    public Task MarkReviewedAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default) =>
        MarkAsync(user, postId, "mark a post reviewed", "post.reviewed", "reviewed", cancellationToken);

    private async Task MarkAsync(ClaimsPrincipal user, long postId, string what, string action, string column, CancellationToken cancellationToken)
    {
        var incidentId = await IncidentOfPostAsync(postId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, what, incidentId, cancellationToken);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // column is one of two constants above, never input.
        var changed = await connection.ExecuteAsync($"""
            INSERT INTO post_triage (post_id, incident_id, {column}_at, {column}_by) VALUES (@postId, @incidentId, now(), @actor)
            ON CONFLICT (post_id) DO UPDATE SET {column}_at = now(), {column}_by = @actor WHERE post_triage.{column}_at IS NULL
            """, new { postId, incidentId, actor }, transaction);
        if (changed == 0)
            return; // Already marked by someone: nothing changes and nothing is logged twice.
        var seq = await EventLog.AppendAsync(connection, transaction, actor, action, incidentId, new { postId }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), seq, PostIds: [postId], Summary: $"{actor} {column} post {postId}"));
    }

    private async Task<int> IncidentOfPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT incident_id FROM posts WHERE id = @postId", new { postId }, cancellationToken: cancellationToken))
            ?? throw new TriageInputException($"There is no post {postId}.");
    }
}
