using System.Security.Claims;
using CrisisDesk.Core.Live;
using CrisisDesk.Core.Rumours;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>
/// Rumour commands (Operator). Each is authorised on the server, writes its change and its event in one transaction,
/// and is announced to every open war room and board after the commit. Changes to the rumour itself name the version
/// they saw: the second of two concurrent changes gets <see cref="RumourConflictException"/> with the current state.
/// </summary>
public sealed class RumourCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer, IncidentActivityFeed activity, RumourQueries queries,
    RumourSuggester suggester, TimeProvider time)
{
    public const int MaxClaimLength = 300;

    public async Task<int> CreateAsync(ClaimsPrincipal user, int incidentId, string claim, RumourSeverity severity, string? owner,
        IReadOnlyList<string>? keywords, IReadOnlyList<long>? postIds, IReadOnlyList<long>? storyIds, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Operator, "create a rumour", incidentId, cancellationToken);
        var actor = user.ActorName();
        claim = CleanClaim(claim);
        owner = string.IsNullOrWhiteSpace(owner) ? actor : owner.Trim();
        var cleanKeywords = (keywords ?? []).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var posts = (postIds ?? []).Distinct().ToArray();
        var stories = (storyIds ?? []).Distinct().ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RequireInIncidentAsync(connection, transaction, incidentId, posts, stories);
        var rumourId = await connection.ExecuteScalarAsync<int>("""
            INSERT INTO rumours (incident_id, claim, severity, owner, status, keywords, created_by)
            VALUES (@incidentId, @claim, @severity, @owner, 'New', @keywords, @actor) RETURNING id
            """, new { incidentId, claim, severity = severity.ToString(), owner, keywords = cleanKeywords, actor }, transaction);
        await connection.ExecuteAsync("""
            INSERT INTO rumour_posts (rumour_id, post_id, linked_by) SELECT @rumourId, unnest(@posts), @actor;
            INSERT INTO rumour_stories (rumour_id, story_id, linked_by) SELECT @rumourId, unnest(@stories), @actor;
            INSERT INTO rumour_notes (rumour_id, author, to_status, note) VALUES (@rumourId, @actor, 'New', 'Created');
            """, new { rumourId, posts, stories, actor }, transaction);
        var seq = await EventLog.AppendAsync(connection, transaction, actor, "rumour.created", incidentId, new
        {
            rumourId, claim, severity = severity.ToString(), owner, keywords = cleanKeywords, postIds = posts, storyIds = stories,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(incidentId, "rumour.created", actor, seq, rumourId, posts, $"{actor} created rumour {rumourId}: {claim}");
        suggester.RumoursChanged(incidentId, scanRecent: true);
        return rumourId;
    }

    /// <summary>Moves the rumour along its lifecycle, with a note.</summary>
    public async Task<RumourState> ChangeStatusAsync(ClaimsPrincipal user, int rumourId, int expectedVersion, RumourStatus to, string? note,
        CancellationToken cancellationToken = default)
    {
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "change a rumour's status", current.IncidentId, cancellationToken);
        var actor = user.ActorName();
        note = (note ?? "").Trim();
        if (note.Length > 2000)
            throw new RumourInputException("A note can have at most 2000 characters.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var from = await LockVersionAsync(connection, transaction, rumourId, expectedVersion, cancellationToken);
        if (!RumourLifecycle.CanMove(from, to))
            throw new RumourInputException($"A rumour that is {RumourLifecycle.Label(from)} cannot move to {RumourLifecycle.Label(to)}; it can move to: "
                + string.Join(", ", RumourLifecycle.AllowedFrom(from).Select(RumourLifecycle.Label)) + ".");
        var updated = await connection.QuerySingleAsync<RumourState>($"""
            UPDATE rumours SET status = @to, version = version + 1, updated_at = now() WHERE id = @rumourId
            RETURNING {RumourQueries.StateColumns}
            """, new { rumourId, to = to.ToString() }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO rumour_notes (rumour_id, author, from_status, to_status, note) VALUES (@rumourId, @actor, @from, @to, @note)",
            new { rumourId, actor, from = from.ToString(), to = to.ToString(), note }, transaction);
        var seq = await EventLog.AppendAsync(connection, transaction, actor, "rumour.status-changed", updated.IncidentId,
            new { rumourId, from = from.ToString(), to = to.ToString(), note, version = updated.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(updated.IncidentId, "rumour.status-changed", actor, seq, rumourId, null,
            $"{actor} moved rumour {rumourId} to {RumourLifecycle.Label(to)}");
        suggester.RumoursChanged(updated.IncidentId, scanRecent: false);
        return updated;
    }

    /// <summary>Changes the claim, severity or owner.</summary>
    public async Task<RumourState> UpdateAsync(ClaimsPrincipal user, int rumourId, int expectedVersion, string claim, RumourSeverity severity, string owner,
        CancellationToken cancellationToken = default)
    {
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "edit a rumour", current.IncidentId, cancellationToken);
        var actor = user.ActorName();
        claim = CleanClaim(claim);
        owner = string.IsNullOrWhiteSpace(owner) ? throw new RumourInputException("A rumour needs an owner.") : owner.Trim();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockVersionAsync(connection, transaction, rumourId, expectedVersion, cancellationToken);
        var updated = await connection.QuerySingleAsync<RumourState>($"""
            UPDATE rumours SET claim = @claim, severity = @severity, owner = @owner, version = version + 1, updated_at = now() WHERE id = @rumourId
            RETURNING {RumourQueries.StateColumns}
            """, new { rumourId, claim, severity = severity.ToString(), owner }, transaction);
        var seq = await EventLog.AppendAsync(connection, transaction, actor, "rumour.updated", updated.IncidentId,
            new { rumourId, claim, severity = severity.ToString(), owner, version = updated.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(updated.IncidentId, "rumour.updated", actor, seq, rumourId, null, $"{actor} edited rumour {rumourId}");
        suggester.RumoursChanged(updated.IncidentId, scanRecent: false);
        return updated;
    }

    /// <summary>Links a post and/or a story to the rumour. Links only add, so they need no version.</summary>
    public async Task LinkAsync(ClaimsPrincipal user, int rumourId, long? postId, long? storyId, CancellationToken cancellationToken = default)
    {
        if (postId is null && storyId is null)
            throw new RumourInputException("Name a post or a story to link.");
        var current = await RequireRumourAsync(rumourId, cancellationToken);
        await authorizer.RequireAsync(user, Policies.Operator, "link a post to a rumour", current.IncidentId, cancellationToken);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long[] posts = postId is { } p ? [p] : [];
        long[] stories = storyId is { } s ? [s] : [];
        await RequireInIncidentAsync(connection, transaction, current.IncidentId, posts, stories);
        var added = await LinkCoreAsync(connection, transaction, rumourId, posts, stories, actor);
        if (added == 0)
            return;
        var seq = await EventLog.AppendAsync(connection, transaction, actor, storyId is null ? "rumour.post-linked" : "rumour.story-linked", current.IncidentId,
            new { rumourId, postId, storyId }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(current.IncidentId, storyId is null ? "rumour.post-linked" : "rumour.story-linked", actor, seq, rumourId, posts,
            $"{actor} linked {(storyId is null ? $"post {postId}" : $"story {storyId}")} to rumour {rumourId}");
        suggester.RumoursChanged(current.IncidentId, scanRecent: false);
    }

    /// <summary>Confirms a suggestion: its story (and the post that matched) are linked.</summary>
    public Task ConfirmSuggestionAsync(ClaimsPrincipal user, long suggestionId, CancellationToken cancellationToken = default) =>
        DecideAsync(user, suggestionId, confirm: true, cancellationToken);

    /// <summary>Rejects a suggestion: recorded with who and when; the same story is not proposed again for this rumour.</summary>
    public Task RejectSuggestionAsync(ClaimsPrincipal user, long suggestionId, CancellationToken cancellationToken = default) =>
        DecideAsync(user, suggestionId, confirm: false, cancellationToken);

    private async Task DecideAsync(ClaimsPrincipal user, long suggestionId, bool confirm, CancellationToken cancellationToken)
    {
        var owner = await queries.SuggestionOwnerAsync(suggestionId, cancellationToken)
            ?? throw new RumourInputException($"There is no suggestion {suggestionId}.");
        var (rumourId, incidentId) = (owner.RumourId, owner.IncidentId);
        await authorizer.RequireAsync(user, Policies.Operator, confirm ? "confirm a suggestion" : "reject a suggestion", incidentId, cancellationToken);
        var actor = user.ActorName();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var decided = await connection.QuerySingleOrDefaultAsync<DecidedSuggestion>("""
            UPDATE rumour_suggestions SET state = @state, decided_by = @actor, decided_at = now()
             WHERE id = @suggestionId AND state = 'pending'
            RETURNING story_id AS StoryId, post_id AS PostId, score, reason
            """, new { suggestionId, actor, state = confirm ? "confirmed" : "rejected" }, transaction);
        if (decided is not { } d)
            throw new RumourInputException("Someone has already decided this suggestion.");
        if (confirm)
            await LinkCoreAsync(connection, transaction, rumourId, [d.PostId], [d.StoryId], actor);
        var action = confirm ? "rumour.suggestion-confirmed" : "rumour.suggestion-rejected";
        var seq = await EventLog.AppendAsync(connection, transaction, actor, action, incidentId,
            new { rumourId, suggestionId, storyId = d.StoryId, postId = d.PostId, score = d.Score, reason = d.Reason }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Announce(incidentId, action, actor, seq, rumourId, [d.PostId],
            $"{actor} {(confirm ? "confirmed" : "rejected")} a suggested story for rumour {rumourId}");
        if (confirm)
            suggester.RumoursChanged(incidentId, scanRecent: false);
    }

    private sealed record DecidedSuggestion(long StoryId, long PostId, double Score, string Reason);

    private static async Task<int> LinkCoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int rumourId, long[] posts, long[] stories, string actor) =>
        await connection.ExecuteAsync("""
            INSERT INTO rumour_posts (rumour_id, post_id, linked_by) SELECT @rumourId, unnest(@posts), @actor ON CONFLICT DO NOTHING;
            INSERT INTO rumour_stories (rumour_id, story_id, linked_by) SELECT @rumourId, unnest(@stories), @actor ON CONFLICT DO NOTHING;
            """, new { rumourId, posts, stories, actor }, transaction);

    /// <summary>Locks the rumour row and checks the version; the lock makes the check and the update one step.</summary>
    private async Task<RumourStatus> LockVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int rumourId, int expectedVersion,
        CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<RumourState>(new CommandDefinition(
            $"SELECT {RumourQueries.StateColumns} FROM rumours WHERE id = @rumourId FOR UPDATE", new { rumourId }, transaction, cancellationToken: cancellationToken));
        if (row.Version != expectedVersion)
            throw new RumourConflictException(row, expectedVersion);
        return row.StatusValue;
    }

    private async Task<RumourState> RequireRumourAsync(int rumourId, CancellationToken cancellationToken) =>
        await queries.GetAsync(rumourId, cancellationToken) ?? throw new RumourInputException($"There is no rumour {rumourId}.");

    private static async Task RequireInIncidentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int incidentId, long[] posts, long[] stories)
    {
        var (postsFound, storiesFound) = await connection.QuerySingleAsync<(long, long)>("""
            SELECT (SELECT count(*) FROM posts WHERE id = ANY(@posts) AND incident_id = @incidentId),
                   (SELECT count(*) FROM stories WHERE id = ANY(@stories) AND incident_id = @incidentId)
            """, new { incidentId, posts, stories }, transaction);
        if (postsFound != posts.Length || storiesFound != stories.Length)
            throw new RumourInputException("Every linked post and story must belong to the rumour's incident.");
    }

    private static string CleanClaim(string? claim)
    {
        claim = (claim ?? "").Trim();
        if (claim.Contains('\n', StringComparison.Ordinal) || claim.Contains('\r', StringComparison.Ordinal))
            throw new RumourInputException("The claim is one line.");
        if (claim.Length is < 5 or > MaxClaimLength)
            throw new RumourInputException($"The claim needs 5 to {MaxClaimLength} characters.");
        return claim;
    }

    private void Announce(int incidentId, string action, string actor, long seq, int rumourId, IReadOnlyList<long>? postIds, string summary) =>
        activity.Publish(new IncidentActivity(incidentId, action, actor, time.GetUtcNow(), seq, rumourId, postIds, summary));
}
