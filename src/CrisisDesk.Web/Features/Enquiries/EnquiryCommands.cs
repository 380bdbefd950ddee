using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Core.Live;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Enquiries;

/// <summary>An enquiry held by someone else, or no longer in the state the person saw: the message says who and what.</summary>
public sealed class EnquiryConflictException(string message) : CommandException(message, StatusCodes.Status409Conflict);

public sealed class EnquiryInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// What operators do with enquiries: mark a post as needing an answer, take one or give it to someone, and close it.
/// Each runs through <see cref="CommandRunner"/>. The enquiry's row is read <c>FOR UPDATE</c> in the command's
/// transaction and who holds it is checked there, so two operators acting at once get one success and one clear
/// conflict, never two answers (enquiries carry no xmin token: the row lock is the concurrency rule, as before).
/// </summary>
public sealed class EnquiryCommands(CommandRunner commands, IncidentActivityFeed activity, TimeProvider time)
{
    public static IReadOnlyList<string> Statuses { get; } = ["open", "answered", "no-answer-needed"];

    /// <summary>The roles an enquiry can be given to.</summary>
    private static readonly string[] AssignableRoles = ["Operator", "Approver", "Admin"];

    /// <summary>Makes a post an enquiry ("needs an answer") (Operator).</summary>
    public async Task<int> MarkAsync(ClaimsPrincipal user, long postId, CancellationToken cancellationToken = default)
    {
        var (post, id) = await commands.RunOnAsync(user, Policies.Operator, "mark a post as needing an answer",
            (db, token) => db.PostReferences.Where(p => p.Id == postId).Select(p => new { p.IncidentId }).FirstOrDefaultAsync(token),
            p => p.IncidentId, () => new CommandException($"There is no post {postId}.", StatusCodes.Status404NotFound),
            async (command, post) =>
            {
                var enquiry = new EnquiryRow { IncidentId = post.IncidentId, PostId = postId, Reason = EnquiryMatcher.Marked, Status = "open", OpenedBy = command.Actor };
                command.Db.Enquiries.Add(enquiry);
                try
                {
                    await command.SaveAsync();
                }
                catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
                {
                    // The insert's ON CONFLICT DO NOTHING answered this before: the detector or another operator was first.
                    throw new EnquiryConflictException("This post is already an enquiry.");
                }
                await command.RecordAsync(post.IncidentId, new EnquiryOpened(enquiry.Id, postId, EnquiryMatcher.Marked));
                return enquiry.Id;
            }, cancellationToken);
        Announce(post.IncidentId, EventActions.EnquiryOpened, user.ActorName(), postId, $"{user.ActorName()} marked a post as needing an answer");
        return id;
    }

    /// <summary>
    /// Gives the enquiry to <paramref name="assignee"/> (null: nobody) (Operator). Taking one someone else holds needs
    /// <paramref name="takeOver"/>: without it the answer is a conflict naming who holds it.
    /// </summary>
    public async Task AssignAsync(ClaimsPrincipal user, int enquiryId, string? assignee, bool takeOver = false, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (enquiry, changedTo) = await commands.RunOnAsync(user, Policies.Operator, "assign an enquiry",
            (db, token) => EnquiryLocks.ByIdAsync(db, enquiryId, token), e => e.IncidentId, () => NotFound(enquiryId),
            async (command, enquiry) =>
            {
                if (assignee is not null)
                {
                    var wanted = assignee.Trim().ToLowerInvariant();
                    assignee = await command.Db.Users.AsNoTracking()
                        .Where(u => u.UserName.ToLower() == wanted && !u.Disabled && AssignableRoles.Contains(u.Role))
                        .Select(u => u.UserName).FirstOrDefaultAsync(command.CancellationToken)
                        ?? throw new EnquiryInputException($"There is no operator called {assignee}.");
                }
                if (string.Equals(enquiry.AssignedTo, assignee, StringComparison.OrdinalIgnoreCase))
                {
                    command.NothingChanged(); // already so: nothing to record
                    return (Changed: false, Assignee: assignee);
                }
                if (enquiry.AssignedTo is { } holder && !string.Equals(holder, actor, StringComparison.OrdinalIgnoreCase) && !takeOver)
                    throw new EnquiryConflictException($"{holder} has already taken this enquiry.");
                var row = command.Db.Enquiries.Where(e => e.Id == enquiryId);
                // ExecuteUpdate so assigned_at is the database's now(), as before.
                if (assignee is null)
                    await row.ExecuteUpdateAsync(s => s.SetProperty(e => e.AssignedTo, (string?)null).SetProperty(e => e.AssignedAt, (DateTime?)null), command.CancellationToken);
                else
                    await row.ExecuteUpdateAsync(s => s.SetProperty(e => e.AssignedTo, assignee).SetProperty(e => e.AssignedAt, e => DateTime.UtcNow), command.CancellationToken);
                await command.RecordAsync(enquiry.IncidentId, new EnquiryAssigned(enquiryId, assignee, enquiry.AssignedTo));
                return (Changed: true, Assignee: assignee);
            }, cancellationToken);
        if (changedTo.Changed)
            Announce(enquiry.IncidentId, EventActions.EnquiryAssigned, actor, enquiry.PostId,
                changedTo.Assignee is null ? $"{actor} gave up enquiry {enquiryId}" : $"{actor} gave enquiry {enquiryId} to {changedTo.Assignee}");
    }

    /// <summary>Opens, closes as answered, or closes as needing no answer (Operator; the holder, or anyone while nobody holds it).</summary>
    public async Task SetStatusAsync(ClaimsPrincipal user, int enquiryId, string status, CancellationToken cancellationToken = default)
    {
        var actor = user.ActorName();
        var (enquiry, changed) = await commands.RunOnAsync(user, Policies.Operator, "change an enquiry's status",
            (db, token) => EnquiryLocks.ByIdAsync(db, enquiryId, token), e => e.IncidentId, () => NotFound(enquiryId),
            async (command, enquiry) =>
            {
                if (!Statuses.Contains(status, StringComparer.Ordinal))
                    throw new EnquiryInputException("An enquiry is open, answered or no-answer-needed.");
                if (enquiry.AssignedTo is { } holder && !string.Equals(holder, actor, StringComparison.OrdinalIgnoreCase))
                    throw new EnquiryConflictException($"{holder} has this enquiry: only they can change it (or take it over first).");
                if (enquiry.Status == status)
                {
                    command.NothingChanged();
                    return false;
                }
                var row = command.Db.Enquiries.Where(e => e.Id == enquiryId);
                // ExecuteUpdate so closed_at and first_answered_at are the database's now(), as before; the first answer is kept.
                await (status switch
                {
                    "open" => row.ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.ClosedAt, (DateTime?)null), command.CancellationToken),
                    "answered" => row.ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.ClosedAt, e => DateTime.UtcNow)
                        .SetProperty(e => e.FirstAnsweredAt, e => e.FirstAnsweredAt ?? DateTime.UtcNow), command.CancellationToken),
                    _ => row.ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.ClosedAt, e => DateTime.UtcNow), command.CancellationToken),
                });
                await command.RecordAsync(enquiry.IncidentId, new EnquiryStatusChanged(enquiryId, enquiry.Status, status));
                return true;
            }, cancellationToken);
        if (changed)
            Announce(enquiry.IncidentId, EventActions.EnquiryStatusChanged, actor, enquiry.PostId, $"{actor} moved enquiry {enquiryId} to {status}");
    }

    private static CommandException NotFound(int enquiryId) => new($"There is no enquiry {enquiryId}.", StatusCodes.Status404NotFound);

    private void Announce(int incidentId, string action, string actor, long postId, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), PostIds: [postId], Summary: summary));
}
