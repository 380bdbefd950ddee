using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>An enquiry held by someone else, or no longer in the state the person saw: the message says who and what.</summary>
public sealed class EnquiryConflictException(string message) : CommandException(message, StatusCodes.Status409Conflict);

public sealed class EnquiryInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// What operators do with enquiries: mark a post as needing an answer, take one or give it to someone, and close it.
/// Each command locks the enquiry's row (<c>FOR UPDATE</c>) and checks who holds it in the same transaction, so two
/// operators acting at once get one success and one clear conflict, never two answers.
/// </summary>
public sealed class EnquiryCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, IncidentActivityFeed activity, TimeProvider time)
{
    public static IReadOnlyList<string> Statuses { get; } = ["open", "answered", "no-answer-needed"];

    private sealed record EnquiryRow(int Id, int IncidentId, long PostId, string Status, string? AssignedTo);

    /// <summary>Makes a post an enquiry ("needs an answer") (Operator).</summary>
    public async Task<int> MarkAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default)
    {
        var incidentId = await IncidentOfPostAsync(postId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "mark a post as needing an answer", incidentId, cancellationToken);
        if (incidentId is null)
            throw new CommandException($"There is no post {postId}.", StatusCodes.Status404NotFound);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<int?>("""
            INSERT INTO enquiries (incident_id, post_id, reason, opened_by) VALUES (@incidentId, @postId, 'marked', @actor)
            ON CONFLICT (incident_id, post_id) DO NOTHING RETURNING id
            """, new { incidentId, postId, actor }, transaction)
            ?? throw new EnquiryConflictException("This post is already an enquiry.");
        await EventLog.AppendAsync(connection, transaction, actor, incidentId, new EnquiryOpened(id, postId, EnquiryMatcher.Marked), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(incidentId.Value, EventActions.EnquiryOpened, actor, postId, $"{actor} marked a post as needing an answer");
        return id;
    }

    /// <summary>
    /// Gives the enquiry to <paramref name="assignee"/> (null: nobody) (Operator). Taking one someone else holds needs
    /// <paramref name="takeOver"/>: without it the answer is a conflict naming who holds it.
    /// </summary>
    public async Task AssignAsync(ClaimsPrincipal user, int enquiryId, string? assignee, bool takeOver = false, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(enquiryId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "assign an enquiry", stored?.IncidentId, cancellationToken);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var enquiry = await LockAsync(connection, transaction, enquiryId);
        if (assignee is not null)
        {
            assignee = await connection.ExecuteScalarAsync<string?>(
                "SELECT user_name FROM users WHERE lower(user_name) = lower(@assignee) AND NOT disabled AND role IN ('Operator', 'Approver', 'Admin')",
                new { assignee = assignee.Trim() }, transaction)
                ?? throw new EnquiryInputException($"There is no operator called {assignee}.");
        }
        if (string.Equals(enquiry.AssignedTo, assignee, StringComparison.OrdinalIgnoreCase))
            return; // already so: nothing to record
        if (enquiry.AssignedTo is { } holder && !string.Equals(holder, actor, StringComparison.OrdinalIgnoreCase) && !takeOver)
            throw new EnquiryConflictException($"{holder} has already taken this enquiry.");
        await connection.ExecuteAsync("UPDATE enquiries SET assigned_to = @assignee, assigned_at = CASE WHEN @assignee::text IS NULL THEN NULL ELSE now() END WHERE id = @enquiryId",
            new { assignee, enquiryId }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, enquiry.IncidentId, new EnquiryAssigned(enquiryId, assignee, enquiry.AssignedTo), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(enquiry.IncidentId, EventActions.EnquiryAssigned, actor, enquiry.PostId,
            assignee is null ? $"{actor} gave up enquiry {enquiryId}" : $"{actor} gave enquiry {enquiryId} to {assignee}");
    }

    /// <summary>Opens, closes as answered, or closes as needing no answer (Operator; the holder, or anyone while nobody holds it).</summary>
    public async Task SetStatusAsync(ClaimsPrincipal user, int enquiryId, string status, CancellationToken cancellationToken = default)
    {
        var stored = await GetAsync(enquiryId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "change an enquiry's status", stored?.IncidentId, cancellationToken);
        if (!Statuses.Contains(status, StringComparer.Ordinal))
            throw new EnquiryInputException("An enquiry is open, answered or no-answer-needed.");
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var enquiry = await LockAsync(connection, transaction, enquiryId);
        if (enquiry.AssignedTo is { } holder && !string.Equals(holder, actor, StringComparison.OrdinalIgnoreCase))
            throw new EnquiryConflictException($"{holder} has this enquiry: only they can change it (or take it over first).");
        if (enquiry.Status == status)
            return;
        await connection.ExecuteAsync("""
            UPDATE enquiries SET status = @status, closed_at = CASE WHEN @status = 'open' THEN NULL ELSE now() END,
                   first_answered_at = CASE WHEN @status = 'answered' THEN coalesce(first_answered_at, now()) ELSE first_answered_at END
             WHERE id = @enquiryId
            """, new { status, enquiryId }, transaction);
        await EventLog.AppendAsync(connection, transaction, actor, enquiry.IncidentId, new EnquiryStatusChanged(enquiryId, enquiry.Status, status), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(enquiry.IncidentId, EventActions.EnquiryStatusChanged, actor, enquiry.PostId, $"{actor} moved enquiry {enquiryId} to {status}");
    }

    private static async Task<EnquiryRow> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int enquiryId) =>
        await connection.QuerySingleOrDefaultAsync<EnquiryRow>(
            "SELECT id, incident_id AS IncidentId, post_id AS PostId, status, assigned_to AS AssignedTo FROM enquiries WHERE id = @enquiryId FOR UPDATE",
            new { enquiryId }, transaction)
        ?? throw new CommandException($"There is no enquiry {enquiryId}.", StatusCodes.Status404NotFound);

    private async Task<EnquiryRow?> GetAsync(int enquiryId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EnquiryRow>(new CommandDefinition(
            "SELECT id, incident_id AS IncidentId, post_id AS PostId, status, assigned_to AS AssignedTo FROM enquiries WHERE id = @enquiryId",
            new { enquiryId }, cancellationToken: cancellationToken));
    }

    private async Task<int?> IncidentOfPostAsync(long postId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT incident_id FROM posts WHERE id = @postId", new { postId }, cancellationToken: cancellationToken));
    }

    private void Announce(int incidentId, string action, string actor, long postId, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), PostIds: [postId], Summary: summary));
}
